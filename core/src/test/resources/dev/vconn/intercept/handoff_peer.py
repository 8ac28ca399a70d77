"""A foreign peer of VConn's takeover protocol, run as a process of its own (the tests start it,
under another uid with setpriv where they need one).

  offer PATH    serves PATH like a running instance: hands a listening TCP socket to the first
                successor and prints what the successor answers (REFUSED ...), then exits
  receive PATH  connects to the running instance at PATH like a successor, receives its listening
                socket, prints RECEIVED and waits to be killed
"""
import socket
import struct
import sys
import time


def offer(path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    server.listen(1)
    print("LISTENING", flush=True)
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    listening.listen(8)
    successor, _ = server.accept()
    successor.settimeout(10)
    try:
        hello = successor.recv(65536)
        if hello[:1] == b"\x05":
            print("ANSWER", hello[1:].decode("utf-8", "replace"), flush=True)
            return
        if hello[:1] != b"\x01":
            print("UNEXPECTED", hello, flush=True)
            return
        socket.send_fds(successor, [b"\x02vconn-listener"], [listening.fileno()])
        successor.send(b"\x03" + struct.pack(">i", 1))
    except OSError as ex:
        # the successor refused before asking: its answer is already waiting
        print("SEND FAILED", ex, flush=True)
    answer = successor.recv(65536)
    print("ANSWER", answer[1:].decode("utf-8", "replace") if answer[:1] == b"\x05" else answer, flush=True)


def receive(path):
    running = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    running.connect(path)
    running.send(b"\x01vconn-handoff/2")
    message, fds, _, _ = socket.recv_fds(running, 65536, 4)
    print("RECEIVED", message[:1].hex(), len(fds), flush=True)
    while True:
        time.sleep(60)


if __name__ == "__main__":
    {"offer": offer, "receive": receive}[sys.argv[1]](sys.argv[2])
