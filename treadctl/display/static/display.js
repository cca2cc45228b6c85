// The big screen: follows the session's state from /events (Server-Sent Events) and renders it.
// View only, apart from Stop. Between updates the clock ticks down locally, re-anchored on each.
"use strict";
(function () {
  const token = document.querySelector('meta[name="treadctl-token"]').content;
  const query = new URLSearchParams(location.search).get("token");
  const streamUrl = "events" + (query ? "?token=" + encodeURIComponent(query) : "");
  const $ = (id) => document.getElementById(id);
  const STALE_MS = 12000;  // the server pings every 5 s
  let state = null;
  let receivedAt = 0;
  let lastMessageAt = 0;

  function show(id, text) { $(id).textContent = text == null ? "–" : String(text); }

  function clock(seconds) {
    if (seconds == null) return "–:––";
    const total = Math.max(0, Math.round(seconds));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const ss = String(s).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + ss : m + ":" + ss;
  }

  function duration(seconds) {
    const total = Math.round(seconds);
    if (total % 60 === 0) return total / 60 + " min";
    return total >= 60 ? Math.floor(total / 60) + " min " + (total % 60) + " s" : total + " s";
  }

  function renderClock() {
    if (!state) return;
    const box = $("countdown");
    if (state.countdown) {
      box.textContent = state.countdown.text;
      box.classList.add("count");
      show("count-caption", state.countdown.caption);
      return;
    }
    box.classList.remove("count");
    let left = state.clock.left_s;
    if (left != null && state.clock.running) {
      left -= (performance.now() - receivedAt) / 1000;
    }
    box.textContent = clock(left);
    show("count-caption", state.clock.caption);
  }

  function render() {
    document.body.classList.remove("waiting");
    const dirBox = $("direction-box");
    dirBox.classList.toggle("backward", state.direction === "backward");
    dirBox.classList.toggle("forward", state.direction === "forward");
    show("direction", state.direction ? state.direction.toUpperCase() : "GET READY");
    show("facing", state.facing);
    show("profile", state.profile);
    const bout = state.bout;
    show("bout-label", bout ? "bout " + (bout.index + 1) + "/" + bout.count + " · " + bout.label : "");
    show("unit", state.unit);
    show("speed-now", state.speed.now);
    show("speed-target", state.speed.target);
    show("incline-now", state.incline.now);
    show("incline-target", state.incline.target);
    $("heart-box").hidden = state.heart_rate == null;
    show("heart", state.heart_rate);
    const next = state.next;
    if (state.ended) {
      show("next", "");
    } else if (next) {
      const when = next.after_turn ? "after the turn: " : "next: ";
      show("next", when + next.direction + " " + next.speed + " " + state.unit + " for " +
        duration(next.duration_s) + (next.label ? " · " + next.label : ""));
    } else {
      show("next", bout ? "next: the end — last bout" : "");
    }
    const banner = $("banner");
    banner.hidden = !state.banner;
    banner.className = state.banner ? state.banner.level : "";
    if (state.banner) { show("banner-title", state.banner.title); show("banner-body", state.banner.body); }
    const alarm = $("alarm");
    alarm.hidden = !state.alarm;
    if (state.alarm) { show("alarm-title", state.alarm.title); show("alarm-message", state.alarm.message); }
    $("stop").hidden = state.ended;
    renderClock();
  }

  function connect() {
    const source = new EventSource(streamUrl);
    source.onopen = () => { lastMessageAt = performance.now(); status(true); };
    source.onmessage = (event) => {
      state = JSON.parse(event.data);
      receivedAt = lastMessageAt = performance.now();
      status(true);
      render();
    };
    source.addEventListener("ping", () => { lastMessageAt = performance.now(); status(true); });
    source.onerror = () => status(false);
  }

  function status(live) {
    const el = $("status");
    const over = !live && state && state.ended;
    el.textContent = live ? "live" : over ? "the session is over"
      : "connection lost — the session may still be running";
    el.classList.toggle("lost", !live && !over);
  }

  $("stop").addEventListener("click", async () => {
    const result = $("stop-result");
    result.hidden = false;
    result.textContent = "stopping…";
    try {
      const reply = await fetch("stop", { method: "POST", headers: { "X-Treadctl-Token": token } });
      const body = await reply.json();
      result.textContent = body.accepted ? "Stop sent to the belt" : "Stop not taken: " + body.reason;
    } catch (error) {
      result.textContent = "Stop could not reach treadctl: use the console stop";
    }
  });

  setInterval(() => {
    renderClock();
    if (lastMessageAt && performance.now() - lastMessageAt > STALE_MS) status(false);
  }, 250);
  connect();
})();
