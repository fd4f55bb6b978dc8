// Loupe compliance dashboard. Plain JavaScript, no library, no build step.
// Data is only ever written with textContent or attributes, never as HTML.
(function () {
  "use strict";

  var TOKEN_KEY = "loupe.token";
  var SVG = "http://www.w3.org/2000/svg";
  var knownStores = {};

  function $(id) { return document.getElementById(id); }

  function state(s) { document.body.setAttribute("data-state", s); }

  // The API lives beside the page: /dashboard -> /compliance, /prod/dashboard -> /prod/compliance.
  function apiBase() {
    var p = location.pathname;
    var m = p.match(/^(.*\/)dashboard\/?$/);
    if (m) { return m[1]; }
    return p.slice(0, p.lastIndexOf("/") + 1);
  }

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }

  function setToken(t) {
    try {
      if (t) { sessionStorage.setItem(TOKEN_KEY, t); } else { sessionStorage.removeItem(TOKEN_KEY); }
    } catch (e) { /* storage disabled: the token lives for this page only */ }
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) { for (var k in attrs) { if (attrs[k] !== undefined && attrs[k] !== null) { e.setAttribute(k, String(attrs[k])); } } }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) { e.setAttribute(k, String(attrs[k])); }
    if (text !== undefined) { e.textContent = String(text); }
    return e;
  }

  function grade(rate, takeIns) {
    if (!takeIns) { return "none"; }
    if (rate >= 0.9) { return "good"; }
    if (rate >= 0.7) { return "fair"; }
    return "poor";
  }

  function pct(rate, takeIns) {
    if (!takeIns) { return "—"; }
    return (rate * 100).toFixed(1) + "%";
  }

  function num(n) { return Number(n).toLocaleString(); }

  function showError(msg) {
    var e = $("error");
    e.textContent = msg;
    e.hidden = !msg;
  }

  function showSignin(msg) {
    state("signin");
    $("signin").hidden = false;
    $("controls").hidden = true;
    $("report").hidden = true;
    var e = $("signin-error");
    e.textContent = msg || "";
    e.hidden = !msg;
    $("token").focus();
  }

  function params() {
    var q = new URLSearchParams(location.search);
    return { from: q.get("from") || "", to: q.get("to") || "", store_id: q.get("store_id") || "" };
  }

  function query(p) {
    var q = new URLSearchParams();
    ["from", "to", "store_id"].forEach(function (k) { if (p[k]) { q.set(k, p[k]); } });
    return q.toString();
  }

  function load() {
    var t = token();
    if (!t) { showSignin(""); return; }
    $("signin").hidden = true;
    $("controls").hidden = false;
    showError("");
    state("loading");
    $("status").textContent = "Loading…";
    var p = params();
    var qs = query(p);
    fetch(apiBase() + "compliance" + (qs ? "?" + qs : ""), {
      headers: { "Authorization": "Bearer " + t, "Accept": "application/json" },
      cache: "no-store",
      credentials: "omit"
    }).then(function (res) {
      if (res.status === 401) {
        setToken("");
        showSignin("That token was not accepted. Please enter it again.");
        $("status").textContent = "";
        return null;
      }
      return res.json().catch(function () { return null; }).then(function (body) {
        if (!res.ok) {
          var msg = body && body.error && body.error.message ? body.error.message : "The server answered " + res.status + ".";
          throw new Error(msg);
        }
        return body;
      });
    }).then(function (rep) {
      if (!rep) { return; }
      render(rep, p);
      $("status").textContent = "";
      state("ready");
    }).catch(function (err) {
      $("status").textContent = "";
      showError(err && err.message ? err.message : "Could not load the figures.");
      state("error");
    });
  }

  function render(rep, p) {
    $("from").value = rep.from;
    $("to").value = rep.to;
    var wl = $("window-label");
    wl.textContent = rep.from + " to " + rep.to + " (store-local days)";
    wl.setAttribute("data-from", rep.from);
    wl.setAttribute("data-to", rep.to);

    rep.stores.forEach(function (s) { knownStores[s.store_id] = s.name || s.store_id; });
    fillStoreSelect(p.store_id);

    var tot = $("totals");
    tot.setAttribute("data-take-ins", rep.totals.take_ins);
    tot.setAttribute("data-with-email", rep.totals.with_email);
    tot.setAttribute("data-rate", rep.totals.rate);
    var tr = $("total-rate");
    tr.textContent = pct(rep.totals.rate, rep.totals.take_ins);
    tr.className = "big " + grade(rep.totals.rate, rep.totals.take_ins);
    $("total-with").textContent = num(rep.totals.with_email);
    $("total-takeins").textContent = num(rep.totals.take_ins);

    // Chain trend: the stores' days summed.
    var days = [];
    rep.stores.forEach(function (s) {
      s.days.forEach(function (d, i) {
        if (!days[i]) { days[i] = { date: d.date, take_ins: 0, with_email: 0 }; }
        days[i].take_ins += d.take_ins;
        days[i].with_email += d.with_email;
      });
    });
    chart($("trend"), days, "");

    var stores = rep.stores.slice().sort(byRate("store_id"));
    var body = $("stores").tBodies[0];
    body.replaceChildren();
    stores.forEach(function (s) {
      body.appendChild(rateRow(s.name || s.store_id, s, { "data-store": s.store_id }));
    });

    var details = $("store-details");
    details.replaceChildren();
    var tpl = $("store-tpl");
    stores.forEach(function (s) {
      var node = tpl.content.firstElementChild.cloneNode(true);
      node.setAttribute("data-store", s.store_id);
      node.querySelector(".store-name").textContent = s.name || s.store_id;
      var sr = node.querySelector(".store-rate");
      sr.textContent = pct(s.rate, s.take_ins);
      sr.className = "store-rate " + grade(s.rate, s.take_ins);
      if (stores.length <= 3) { node.querySelector("details").open = true; }

      var names = {};
      var ab = node.querySelector("table.associates").tBodies[0];
      s.associates.forEach(function (a) {
        names[a.associate_id] = a.name || a.associate_id;
        ab.appendChild(rateRow(a.name || a.associate_id, a, { "data-store": s.store_id, "data-associate": a.associate_id }));
      });
      if (!s.associates.length) { ab.appendChild(emptyRow(4, "No take-ins in this window.")); }

      chart(node.querySelector(".chart"), s.days, s.store_id);

      var missingCount = s.take_ins - s.with_email;
      var note = node.querySelector(".missing-note");
      note.textContent = missingCount > s.missing.length
        ? missingCount + " take-ins without an email; the " + s.missing.length + " most recent are listed."
        : missingCount + (missingCount === 1 ? " take-in" : " take-ins") + " without an email.";
      var mb = node.querySelector("table.missing").tBodies[0];
      s.missing.forEach(function (m) {
        mb.appendChild(missingRow(s, m, names));
      });
      if (!s.missing.length) { mb.appendChild(emptyRow(5, "None.")); }
      details.appendChild(node);
    });

    $("report").hidden = false;
  }

  // missingRow is one take-in without an email: who the client is (their
  // name; the client number small), when in the store's time, who took it
  // in, why the address does not count and, for a likely typo, the address
  // they probably meant.
  function missingRow(s, m, names) {
    var row = el("tr", { "data-store": s.store_id, "data-repair": m.repair_id, "data-associate": m.associate_id,
      "data-reason": m.reason || "", "data-suggestion": m.suggestion || "", "data-customer-name": m.customer_name || "" });
    var who = el("td", { "class": "customer", "data-label": "Client" });
    if (m.customer_name) {
      who.appendChild(el("strong", null, m.customer_name));
    } else {
      who.appendChild(el("span", { "class": "none" }, m.customer_id ? "Name not on file" : "Erased client"));
    }
    if (m.customer_id) { who.appendChild(el("small", { "class": "id" }, "client no. " + m.customer_id)); }
    row.appendChild(who);

    var when = el("td", { "data-label": "Taken in" });
    when.appendChild(el("time", { datetime: m.taken_in_at }, localTime(m.taken_in_at, s.timezone)));
    row.appendChild(when);

    row.appendChild(el("td", { "data-label": "Associate" }, names[m.associate_id] || "Associate " + m.associate_id));

    var why = el("td", { "class": "why", "data-label": "Why" });
    var because = el("span", null, reasonText(m.reason));
    if (m.suggestion) {
      var mean = el("span", { "class": "mean" }, "Did you mean ");
      mean.appendChild(el("span", { "class": "suggestion" }, m.suggestion));
      mean.appendChild(document.createTextNode("?"));
      because.appendChild(mean);
    }
    why.appendChild(because);
    row.appendChild(why);

    var ticket = el("td", { "class": "ticket", "data-label": "Repair" });
    ticket.appendChild(el("small", { "class": "id" }, m.repair_id));
    row.appendChild(ticket);
    return row;
  }

  // localTime returns an instant as the store's wall clock reads it,
  // "Thu 19 Nov, 10:00 AM EST" (the reader's own zone when the store's is
  // not known), or iso itself when it is not a time.
  function localTime(iso, zone) {
    var d = new Date(iso);
    if (isNaN(d)) { return iso || ""; }
    var opts = { weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit", timeZoneName: "short" };
    var parts;
    try {
      parts = new Intl.DateTimeFormat("en-US", zone ? Object.assign({ timeZone: zone }, opts) : opts).formatToParts(d);
    } catch (e) {
      parts = new Intl.DateTimeFormat("en-US", opts).formatToParts(d);
    }
    var p = {};
    parts.forEach(function (x) { p[x.type] = x.value; });
    return p.weekday + " " + p.day + " " + p.month + ", " + p.hour + ":" + p.minute + " " + (p.dayPeriod || "") + " " + p.timeZoneName;
  }

  function reasonText(r) {
    switch (r) {
      case "empty": return "No email written";
      case "malformed": return "Not a valid address";
      case "placeholder": return "Placeholder (e.g. none@none.com)";
      case "store_address": return "The store's own address";
      case "typo": return "Likely typo";
      default: return r || "";
    }
  }

  // Best to worst: rate, then more take-ins first, then id.
  function byRate(idKey) {
    return function (a, b) {
      if (b.rate !== a.rate) { return b.rate - a.rate; }
      if (b.take_ins !== a.take_ins) { return b.take_ins - a.take_ins; }
      return a[idKey] < b[idKey] ? -1 : a[idKey] > b[idKey] ? 1 : 0;
    };
  }

  function rateRow(label, f, attrs) {
    attrs["data-take-ins"] = f.take_ins;
    attrs["data-with-email"] = f.with_email;
    attrs["data-rate"] = f.rate;
    var row = el("tr", attrs);
    row.appendChild(el("td", null, label));
    var g = grade(f.rate, f.take_ins);
    var rc = el("td", { "class": "num rate-cell" });
    rc.appendChild(el("span", { "class": g }, pct(f.rate, f.take_ins)));
    var meter = el("span", { "class": "meter", "aria-hidden": "true" });
    var fill = el("span", { "class": g });
    fill.style.width = Math.round(Math.max(0, Math.min(1, f.rate)) * 100) + "%"; // CSSOM, allowed by the CSP
    meter.appendChild(fill);
    rc.appendChild(meter);
    row.appendChild(rc);
    row.appendChild(el("td", { "class": "num" }, num(f.with_email)));
    row.appendChild(el("td", { "class": "num" }, num(f.take_ins)));
    return row;
  }

  function emptyRow(cols, text) {
    var row = el("tr");
    row.appendChild(el("td", { colspan: cols, "class": "none" }, text));
    return row;
  }

  // chart draws take-ins as bars and the capture rate as a line, one slot a day.
  function chart(box, days, storeID) {
    box.replaceChildren();
    var W = 480, H = 180, L = 40, R = 30, T = 10, B = 26;
    var pw = W - L - R, ph = H - T - B, n = Math.max(days.length, 1);
    var maxT = 1;
    days.forEach(function (d) { if (d.take_ins > maxT) { maxT = d.take_ins; } });
    var total = days.reduce(function (s, d) { return s + d.take_ins; }, 0);
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "data-store": storeID });
    root.appendChild(svg("title", {}, "Daily take-ins and capture rate, " + (days.length ? days[0].date + " to " + days[days.length - 1].date : "")));
    root.appendChild(svg("desc", {}, total + " take-ins over " + days.length + " days"));
    [0, 0.5, 1].forEach(function (v) {
      var y = T + ph - v * ph;
      root.appendChild(svg("line", { "class": "axis", x1: L, x2: W - R, y1: y, y2: y }));
      root.appendChild(svg("text", { x: L - 4, y: y + 4, "text-anchor": "end" }, Math.round(v * 100) + "%"));
    });
    root.appendChild(svg("text", { x: W - R + 4, y: T + 8 }, String(maxT)));
    var slot = pw / n, every = Math.ceil(n / 7), pts = [];
    days.forEach(function (d, i) {
      var x = L + i * slot;
      var g = svg("g", { "class": "day", "data-date": d.date, "data-take-ins": d.take_ins, "data-with-email": d.with_email });
      var rate = d.take_ins ? d.with_email / d.take_ins : 0;
      g.appendChild(svg("title", {}, d.date + ": " + d.take_ins + " take-ins, " + d.with_email + " with email" +
        (d.take_ins ? " (" + (rate * 100).toFixed(1) + "%)" : "")));
      var h = d.take_ins / maxT * ph;
      g.appendChild(svg("rect", { "class": "bar", x: x + slot * 0.15, y: T + ph - h, width: slot * 0.7, height: h }));
      if (d.take_ins) {
        var cx = x + slot / 2, cy = T + ph - rate * ph;
        pts.push(cx.toFixed(1) + "," + cy.toFixed(1));
        g.appendChild(svg("circle", { "class": "dot", cx: cx, cy: cy, r: 3 }));
      }
      if (i % every === 0) {
        g.appendChild(svg("text", { x: x + slot / 2, y: H - 8, "text-anchor": "middle" }, d.date.slice(5)));
      }
      root.appendChild(g);
    });
    if (pts.length > 1) { root.insertBefore(svg("polyline", { "class": "line", points: pts.join(" ") }), root.querySelector("g.day")); }
    box.appendChild(root);
  }

  function fillStoreSelect(selected) {
    var sel = $("store");
    var ids = Object.keys(knownStores).sort(function (a, b) {
      return knownStores[a].localeCompare(knownStores[b]) || (a < b ? -1 : 1);
    });
    sel.replaceChildren(el("option", { value: "" }, "All stores"));
    ids.forEach(function (id) { sel.appendChild(el("option", { value: id }, knownStores[id])); });
    sel.value = selected || "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var p = params();
    $("from").value = p.from;
    $("to").value = p.to;

    $("signin-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var t = $("token").value.trim();
      $("token").value = "";
      if (!t) { return; }
      setToken(t);
      load();
    });

    $("filter").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var qs = query({ from: $("from").value, to: $("to").value, store_id: $("store").value });
      history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
      load();
    });

    $("signout").addEventListener("click", function () {
      setToken("");
      knownStores = {};
      showSignin("");
    });

    $("print").addEventListener("click", function () { window.print(); });
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll("details").forEach(function (d) { d.open = true; });
    });

    load();
  });
})();
