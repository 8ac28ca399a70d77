"""A foreign receiver for VConnSender, run as a process of its own (the tests start it, under
another uid with setpriv where they need one).

  receive PATH  serves PATH like a VConnReceiver and prints LISTENING. If the first sender refuses
                it, prints ANSWER and what the sender said, and exits. Otherwise answers its hello,
                takes one socket with the buffered bytes that follow it, prints RECEIVED, the count
                of descriptors and of buffered bytes, and waits to be killed without answering.
"""
import socket
import struct
import sys
import time


def receive(path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    server.listen(1)
    print("LISTENING", flush=True)
    sender, _ = server.accept()
    sender.settimeout(10)
    hello = sender.recv(65536)
    if hello[:1] == b"\x05":
        print("ANSWER", hello[1:].decode("utf-8", "replace"), flush=True)
        return
    sender.send(b"\x01vconn-transfer/1")
    message, fds, _, _ = socket.recv_fds(sender, 65536, 4)
    count = struct.unpack(">i", message[2:6])[0]
    buffered = 0
    while buffered < count:
        buffered += len(sender.recv(65536)) - 1
    print("RECEIVED", len(fds), buffered, flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    {"receive": receive}[sys.argv[1]](sys.argv[2])
