// The demo's live page: loads the last two minutes of VConn's meters from /demo/history, then
// asks for the new samples once a second, and charts them on a time axis.
// Plain JavaScript, no build step, no library.
(function () {
	'use strict';

	var POLL_MS = 1000;
	var WINDOW_MS = 120 * 1000; // two minutes, as much as the server keeps

	// Drawn in this order: wide lines first, so that a narrower one on top of it leaves it visible
	// where both have the same values; each has its own dash pattern too.
	var series = [
		{ id: 'adoptions-success', key: 'adoptions', label: 'adoptions', color: '#2e7d32', rate: true,
			width: 6, dash: [] },
		{ id: 'adoptions-failure', key: 'adoptionFailures', label: 'adoption failures', color: '#c62828', rate: true,
			width: 4, dash: [10, 4] },
		{ id: 'origin-failures', key: 'originFailures', label: 'origin connect failures', color: '#ef6c00',
			rate: true, width: 2.5, dash: [4, 3] },
		{ id: 'aborts', key: 'aborts', label: 'aborts', color: '#6a1b9a', rate: true, width: 1.5, dash: [1, 2] },
		{ id: 'active', key: 'active', label: 'live', color: '#1565c0', rate: false, width: 2, dash: [] }
	];

	var samples = []; // { time, totals }, oldest first
	var last = 0;
	var loading = false;

	function history() {
		if (loading) {
			return; // the previous request is still out; it brings these samples too
		}
		loading = true;
		fetch('demo/history?since=' + last, { cache: 'no-store' }).then(function (response) {
			if (!response.ok) {
				throw new Error('demo/history: HTTP ' + response.status);
			}
			return response.json();
		}).then(function (body) {
			body.samples.forEach(function (sample) { samples.push(sample); });
			if (samples.length) {
				last = samples[samples.length - 1].time;
			}
			while (samples.length && samples[0].time < last - WINDOW_MS) {
				samples.shift();
			}
			show();
		}).catch(function (error) {
			document.getElementById('error').textContent = String(error.message || error);
		}).finally(function () {
			loading = false;
		});
	}

	// One point per sample: the total itself, or for a rate the increase per second since the
	// previous sample.
	function points(s) {
		var result = [];
		for (var i = 0; i < samples.length; i++) {
			var value = samples[i].totals[s.key];
			if (!s.rate) {
				result.push({ time: samples[i].time, value: value });
			}
			else if (i > 0) {
				var seconds = Math.max(0.001, (samples[i].time - samples[i - 1].time) / 1000);
				result.push({ time: samples[i].time,
					value: Math.max(0, value - samples[i - 1].totals[s.key]) / seconds });
			}
		}
		return result;
	}

	function show() {
		if (!samples.length) {
			return;
		}
		var newest = samples[samples.length - 1];
		series.forEach(function (s) {
			document.getElementById(s.id).textContent = String(Math.round(newest.totals[s.key]));
		});
		document.getElementById('updated').textContent = new Date(newest.time).toLocaleTimeString();
		document.getElementById('error').textContent = '';
		draw('events-chart', series.filter(function (s) { return s.rate; }), newest.time);
		draw('active-chart', series.filter(function (s) { return !s.rate; }), newest.time);
	}

	function draw(canvasId, lines, end) {
		var canvas = document.getElementById(canvasId);
		var ctx = canvas.getContext('2d');
		var w = canvas.width, h = canvas.height;
		var left = 40, right = 8, top = 22, bottom = 22;
		var start = end - WINDOW_MS;
		var data = lines.map(points);
		var max = 1;
		data.forEach(function (ps) { ps.forEach(function (p) { max = Math.max(max, p.value); }); });
		max = niceCeiling(max);
		function x(time) { return left + (time - start) / WINDOW_MS * (w - left - right); }
		function y(value) { return h - bottom - value / max * (h - top - bottom); }

		ctx.clearRect(0, 0, w, h);
		ctx.font = '11px sans-serif';
		ctx.lineWidth = 1;
		ctx.setLineDash([]);
		// value axis: 0, half, max, with grid lines
		[0, max / 2, max].forEach(function (v) {
			ctx.strokeStyle = v === 0 ? '#999' : '#e5e5e5';
			ctx.beginPath();
			ctx.moveTo(left, y(v));
			ctx.lineTo(w - right, y(v));
			ctx.stroke();
			ctx.fillStyle = '#555';
			ctx.textAlign = 'right';
			ctx.fillText(formatValue(v), left - 4, y(v) + 4);
		});
		// time axis: a tick every 30 seconds on the clock, labelled with the time of day
		var ticks = [];
		ctx.textAlign = 'center';
		for (var t = Math.ceil(start / 30000) * 30000; t <= end; t += 30000) {
			ctx.strokeStyle = '#e5e5e5';
			ctx.beginPath();
			ctx.moveTo(x(t), top);
			ctx.lineTo(x(t), h - bottom + 4);
			ctx.stroke();
			var label = clock(new Date(t));
			ctx.fillText(label, x(t), h - 6);
			ticks.push(label);
		}
		// the series, then a legend with each line's own style
		var legendX = left;
		lines.forEach(function (s, n) {
			ctx.strokeStyle = s.color;
			ctx.globalAlpha = 0.85;
			ctx.lineWidth = s.width;
			ctx.setLineDash(s.dash);
			ctx.beginPath();
			data[n].forEach(function (p, i) {
				if (i === 0) {
					ctx.moveTo(x(p.time), y(p.value));
				}
				else {
					ctx.lineTo(x(p.time), y(p.value));
				}
			});
			ctx.stroke();
			ctx.globalAlpha = 1;
			ctx.beginPath();
			ctx.moveTo(legendX, 10);
			ctx.lineTo(legendX + 24, 10);
			ctx.stroke();
			ctx.setLineDash([]);
			ctx.fillStyle = '#222';
			ctx.textAlign = 'left';
			ctx.fillText(s.label, legendX + 28, 14);
			legendX += 40 + ctx.measureText(s.label).width;
		});
		// what was drawn, for whoever inspects the page (the browser test does)
		canvas.dataset.points = String(data.reduce(function (n, ps) { return n + ps.length; }, 0));
		canvas.dataset.ticks = ticks.join(' ');
	}

	function clock(date) {
		return [date.getHours(), date.getMinutes(), date.getSeconds()]
			.map(function (n) { return (n < 10 ? '0' : '') + n; }).join(':');
	}

	function niceCeiling(value) {
		var magnitude = Math.pow(10, Math.floor(Math.log10(value)));
		var steps = [1, 2, 5, 10];
		for (var i = 0; i < steps.length; i++) {
			if (value <= steps[i] * magnitude) {
				return steps[i] * magnitude;
			}
		}
		return 10 * magnitude;
	}

	function formatValue(v) {
		return v >= 10 || v === 0 ? String(Math.round(v)) : v.toFixed(1);
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
	history();
	setInterval(history, POLL_MS);
	setInterval(function () { origin(); }, 5 * POLL_MS);
}());
