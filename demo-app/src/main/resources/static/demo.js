// The demo's live page: polls the actuator once a second and charts VConn's meters.
// Plain JavaScript, no build step, no library.
(function () {
	'use strict';

	var POLL_MS = 1000;
	var KEEP = 120; // samples: two minutes

	var series = [
		{ id: 'adoptions-success', label: 'adoptions', color: '#2e7d32',
			metric: 'vconn.adoptions?tag=outcome:success', rate: true },
		{ id: 'adoptions-failure', label: 'adoption failures', color: '#c62828',
			metric: 'vconn.adoptions?tag=outcome:failure', rate: true },
		{ id: 'origin-failures', label: 'origin connect failures', color: '#ef6c00',
			metric: 'demo.origin.connects?tag=outcome:failure', rate: true },
		{ id: 'aborts', label: 'aborts', color: '#6a1b9a', metric: 'vconn.aborts', rate: true },
		{ id: 'active', label: 'live', color: '#1565c0', metric: 'vconn.active', rate: false }
	];
	series.forEach(function (s) { s.points = []; s.last = null; });

	function metric(query) {
		return fetch('actuator/metrics/' + query, { cache: 'no-store' }).then(function (response) {
			if (response.status === 404) {
				return 0; // no such series yet
			}
			if (!response.ok) {
				throw new Error(query + ': HTTP ' + response.status);
			}
			return response.json().then(function (body) {
				return body.measurements.length ? body.measurements[0].value : 0;
			});
		});
	}

	function poll() {
		Promise.all(series.map(function (s) { return metric(s.metric); })).then(function (values) {
			values.forEach(function (value, i) {
				var s = series[i];
				var point = s.rate ? (s.last === null ? 0 : Math.max(0, value - s.last)) : value;
				s.last = value;
				s.points.push(point);
				if (s.points.length > KEEP) {
					s.points.shift();
				}
				document.getElementById(s.id).textContent = String(Math.round(value));
			});
			document.getElementById('updated').textContent = new Date().toLocaleTimeString();
			document.getElementById('error').textContent = '';
			draw('events-chart', series.filter(function (s) { return s.rate; }));
			draw('active-chart', series.filter(function (s) { return !s.rate; }));
		}).catch(function (error) {
			document.getElementById('error').textContent = String(error.message || error);
		});
	}

	function draw(canvasId, lines) {
		var canvas = document.getElementById(canvasId);
		var ctx = canvas.getContext('2d');
		var w = canvas.width, h = canvas.height, pad = 28;
		var max = 1;
		lines.forEach(function (s) { s.points.forEach(function (v) { max = Math.max(max, v); }); });
		ctx.clearRect(0, 0, w, h);
		ctx.strokeStyle = '#ccc';
		ctx.fillStyle = '#555';
		ctx.font = '11px sans-serif';
		ctx.beginPath();
		ctx.moveTo(pad, 4);
		ctx.lineTo(pad, h - pad / 2);
		ctx.lineTo(w - 4, h - pad / 2);
		ctx.stroke();
		ctx.fillText(String(Math.round(max)), 2, 12);
		ctx.fillText('0', 2, h - pad / 2);
		var step = (w - pad - 8) / (KEEP - 1);
		lines.forEach(function (s, n) {
			ctx.strokeStyle = s.color;
			ctx.lineWidth = 2;
			ctx.beginPath();
			var offset = KEEP - s.points.length;
			s.points.forEach(function (v, i) {
				var x = pad + (offset + i) * step;
				var y = (h - pad / 2) - (v / max) * (h - pad / 2 - 8);
				if (i === 0) {
					ctx.moveTo(x, y);
				}
				else {
					ctx.lineTo(x, y);
				}
			});
			ctx.stroke();
			ctx.fillStyle = s.color;
			ctx.fillText(s.label, pad + 8 + n * 150, h - 2);
		});
	}

	function origin(action) {
		var request = action ? fetch('demo/origin/' + action, { method: 'POST' }) : fetch('demo/origin', { cache: 'no-store' });
		return request.then(function (response) { return response.json(); }).then(function (body) {
			document.getElementById('origin-address').textContent = body.address;
			document.getElementById('origin-state').textContent =
				body.embedded ? (body.running ? 'running' : 'stopped') : 'external';
			document.getElementById('style').textContent = body.style;
			document.getElementById('origin-stop').disabled = !body.embedded || !body.running;
			document.getElementById('origin-start').disabled = !body.embedded || body.running;
		}).catch(function (error) {
			document.getElementById('error').textContent = String(error.message || error);
		});
	}

	function listener() {
		fetch('actuator/vconn', { cache: 'no-store' }).then(function (response) { return response.json(); })
			.then(function (body) {
				if (body.listener && body.listener.address) {
					document.getElementById('listener-url').textContent = 'http://' + body.listener.address + '/';
				}
			}).catch(function () { /* the page works without it */ });
	}

	document.getElementById('origin-stop').addEventListener('click', function () { origin('stop'); });
	document.getElementById('origin-start').addEventListener('click', function () { origin('start'); });
	listener();
	origin();
	poll();
	setInterval(poll, POLL_MS);
	setInterval(function () { origin(); }, 5 * POLL_MS);
}());
