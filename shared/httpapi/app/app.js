// Loupe staff app (CONTRACT section 3, GET /app; docs/staff-app.md). Plain
// JavaScript, no library, no build step. Every screen is a function of the
// path under /app; links under /app are followed with history.pushState.
// Data is only ever written with textContent or attributes, never as HTML
// (the page's CSP allows this script and its style sheet by hash only).
(function () {
  "use strict";
  var TOKEN = "loupe.token", NEXT = "loupe.next";
  var $ = function (id) { return document.getElementById(id); };
  var main = $("main"), statusEl = $("status");
  var me = null, gen = 0, sayTimer = 0;
  var names = {};      // associate id -> name, learned from every answer
  var teams = {};      // store id -> promise of GET /stores/{id}/progress (or null: not allowed)
  var stores = {};     // store id -> name, learned from every answer

  // ---- words ---------------------------------------------------------

  var OUTCOMES = {reached: "Reached", left_message: "Left message", no_answer: "No answer", texted: "Texted",
    visited: "Visited", emailed: "Emailed", wrong_number: "Wrong number", do_not_contact: "Do not contact",
    rsvp_yes: "RSVP yes", rsvp_no: "RSVP no"};
  var COMMON = ["reached", "left_message", "no_answer", "texted", "visited"];
  var REASONS = {new_client: "New client", birthday: "Birthday", anniversary: "Anniversary", thank_you: "Thank you",
    repair_ready: "Repair ready", reconnect: "Reconnect"};
  var SUGGESTED = {call: "call", text: "text", email: "email", visit: "visit"};
  var CHANNELS = {email: "Email", personal: "Personal", sms: "Text message", voice: "Call", mail: "Post", ads: "Ad audiences"};
  var MATCH = {same_store: "Same store", load_balance: "Evens out the books", "other_store:no_capacity": "Another store: no room at the home store",
    "other_store:no_active_associate": "Another store: nobody active at the home store", no_capacity: "Every book is full",
    no_active_associate: "Nobody active to take the client"};
  var MISSING = {empty: "No email given", malformed: "Not an email address", placeholder: "Placeholder address",
    store_address: "The store's own address", typo: "Likely typo"};
  var CONSENT = {granted: "yes", denied: "no", unknown: "not asked"};

  function words(s) { s = String(s || "").replace(/[_:]+/g, " ").trim(); return s.charAt(0).toUpperCase() + s.slice(1); }
  function reasonWords(r) {
    if (REASONS[r]) { return REASONS[r]; }
    if (/^event_invite:/.test(r)) { return "Event invitation"; }
    return words(r);
  }
  function matchWords(r) {
    if (MATCH[r]) { return MATCH[r]; }
    var m = /^preference:(.*)$/.exec(r);
    return m ? "Likes " + m[1].replace(/_/g, " ") : words(r);
  }
  function touchWords(t) {
    var m = /^event:(.*)$/.exec(t || "");
    if (m) { return "Event invitation"; }
    return {mothers_day: "Mother's Day", valentines: "Valentine's Day", thank_you: "Thank you"}[t] || words(t);
  }

  // ---- dates and numbers --------------------------------------------

  function day(s, opts) { // "2026-12-04" (a calendar day, no zone)
    var m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(s || "");
    if (!m) { return s || ""; }
    return new Date(+m[1], m[2] - 1, +m[3]).toLocaleDateString(undefined, opts || {weekday: "short", day: "numeric", month: "short"});
  }
  // when shows an instant in the store's zone tz when known, else in this
  // device's (the store's, on the shop floor).
  function when(s, tz) {
    if (!s) { return ""; }
    var d = new Date(s), o = {day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit"};
    if (isNaN(d)) { return s; }
    if (tz) { try { return d.toLocaleString(undefined, Object.assign({timeZone: tz, timeZoneName: "short"}, o)); } catch (e) { /* unknown zone */ } }
    return d.toLocaleString(undefined, o);
  }
  function occasion(s) { // "--03-31" or "1958-06-01"
    var m = /^(\d{4}|-)-?(\d\d)-(\d\d)$/.exec(s || "");
    if (!m) { return s || ""; }
    var d = new Date(2000, m[2] - 1, +m[3]).toLocaleDateString(undefined, {day: "numeric", month: "long"});
    return m[1] === "-" ? d : d + " " + m[1];
  }
  function pct(rate, n) { return n ? (rate * 100).toFixed(1) + "%" : "—"; }
  function num(n) { return Number(n || 0).toLocaleString(); }
  function money(cents) { return (cents / 100).toLocaleString(undefined, {minimumFractionDigits: 2, maximumFractionDigits: 2}); }

  // ---- DOM -------------------------------------------------------------

  // h(tag, attrs, ...children): attrs "text", "class", on<event> (a
  // function) or any attribute; children nodes, strings, arrays or null.
  function h(tag, attrs) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { continue; }
      if (k === "class") { e.className = v; } else if (k.slice(0, 2) === "on") { e.addEventListener(k.slice(2), v); } else { e.setAttribute(k, v === true ? "" : String(v)); }
    }
    for (var i = 2; i < arguments.length; i++) { add(e, arguments[i]); }
    return e;
  }
  function add(e, c) {
    if (c === null || c === undefined || c === false || c === "") { return; }
    if (Array.isArray(c)) { c.forEach(function (x) { add(e, x); }); return; }
    e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  var uid = 0;
  function field(labelText, control, cls) {
    if (!control.id) { control.id = "f" + (++uid); }
    return h("div", {class: cls || null}, h("label", {for: control.id}, labelText), control);
  }
  function select(options, value) { // options: [[value, text], ...]
    return h("select", null, options.map(function (o) { return h("option", {value: o[0], selected: o[0] === value}, o[1]); }));
  }
  function say(msg, bad) {
    clearTimeout(sayTimer);
    statusEl.textContent = msg || "";
    statusEl.className = "status" + (bad ? " bad" : "");
    if (msg) { sayTimer = setTimeout(function () { statusEl.textContent = ""; }, bad ? 10000 : 5000); }
  }
  function enc(s) { return encodeURIComponent(s); }
  function query(p) {
    var q = new URLSearchParams();
    for (var k in p) { if (p[k]) { q.set(k, p[k]); } }
    var s = q.toString();
    return s ? "?" + s : "";
  }

  // ---- the API ----------------------------------------------------------

  function token() { try { return sessionStorage.getItem(TOKEN) || ""; } catch (e) { return ""; } }
  // addr is an address for a mailto:, sms: or tel: link: the characters
  // that would start a query or a fragment there ("?bcc=") escaped.
  function addr(v) { return String(v).replace(/[?&#%]/g, function (ch) { return "%" + ch.charCodeAt(0).toString(16).toUpperCase(); }); }
  function toSignin() {
    try {
      sessionStorage.removeItem(TOKEN);
      sessionStorage.setItem(NEXT, location.pathname + location.search);
      // Also for the tab the sign-in link will open (session storage is per
      // tab): for an hour, the screen a mail's link pointed to.
      // Kept on the device: the path without a search (no client's name or
      // phone in it).
      localStorage.setItem(NEXT, JSON.stringify({path: location.pathname, at: Date.now()}));
    } catch (e) { /* storage disabled */ }
    location.replace("/app/signin");
  }
  function failure(status, code, message, field) {
    var e = new Error(message); e.status = status; e.code = code; e.field = field || ""; return e;
  }
  // api sends a request with the person's token and resolves to the JSON
  // answer; it rejects with an Error carrying status, code and field (401
  // sends the person to sign in first).
  function api(path, method, body) {
    var init = {method: method || "GET", headers: {Authorization: "Bearer " + token()}};
    if (body) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(path, init).catch(function () {
      throw failure(0, "network", "Could not reach Loupe. Check the connection and try again.");
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (b) {
        if (r.status === 401) { toSignin(); throw failure(401, "unauthorized", "Signing you in again…"); }
        if (!r.ok) {
          var er = (b && b.error) || {};
          throw failure(r.status, er.code || "", er.message || "Loupe answered " + r.status, er.field);
        }
        return b;
      });
    });
  }

  // ---- who is signed in ---------------------------------------------------

  function has(role) { return me.roles.indexOf(role) >= 0; }
  function manages() { return has("manager") || has("admin"); }
  function learn(id, name) { if (id && name) { names[id] = name; } }
  function storeName(id, name) { if (id && name) { stores[id] = name; } return stores[id] || (id ? "Store " + id : ""); }
  function nameOf(id) {
    if (!id) { return ""; }
    if (id === me.associate_id) { return me.name || "you"; }
    return names[id] || id;
  }
  // team returns the store's week (GET /stores/{id}/progress), or null when
  // the person may not see it; one read per store and page load.
  function team(storeID, fresh) {
    if (!teams[storeID] || fresh) {
      teams[storeID] = api("/stores/" + enc(storeID) + "/progress").then(function (p) {
        p.associates.forEach(function (a) { learn(a.associate_id, a.name); });
        return p;
      }, function (e) { if (e.status === 403 || e.status === 404) { return null; } delete teams[storeID]; throw e; });
    }
    return teams[storeID];
  }
  // colleagues returns the active associates of the stores the person
  // manages, [{associate_id, name, store_id}].
  function colleagues(storeIDs) {
    if (!manages()) { return Promise.resolve([]); }
    return Promise.all(storeIDs.map(function (s) { return team(s); })).then(function (ps) {
      var out = [];
      ps.forEach(function (p) { if (p) { p.associates.forEach(function (a) { out.push({associate_id: a.associate_id, name: a.name, store_id: p.store_id, listed: a.listed, worked: a.worked}); }); } });
      return out;
    });
  }

  function navItems() {
    var out = [];
    if (me.associate_id || manages()) { out.push(["/app", "Today"]); }
    if (me.associate_id || (manages() && me.store_ids.length)) { out.push(["/app/clients", me.associate_id ? "My clients" : "Clients"]); }
    out.push(["/app/reassignments", "Reviews"]);
    if (manages()) {
      if (me.store_ids.length) { out.push(["/app/team", "Team"]); }
      out.push(["/app/compliance", "Compliance"], ["/app/coverage", "Coverage"]);
    }
    return out;
  }
  function drawNav() {
    var path = location.pathname.replace(/\/+$/, "") || "/app";
    $("nav-list").replaceChildren.apply($("nav-list"), navItems().map(function (it) {
      var cur = it[0] === "/app" ? path === "/app" : path === it[0] || path.indexOf(it[0] + "/") === 0;
      return h("li", null, h("a", {href: it[0], "aria-current": cur ? "page" : null}, it[1]));
    }));
    $("nav").hidden = false;
    scrollNav();
    $("who").textContent = me.name || me.email || (has("admin") ? "Admin" : "");
    $("who").hidden = !$("who").textContent;
    $("signout").hidden = false;
  }

  // scrollNav brings the current screen's link into view on a narrow
  // window, where the navigation scrolls sideways.
  function scrollNav() {
    var cur = $("nav-list").querySelector("[aria-current]");
    if (cur) { $("nav-list").scrollLeft = cur.parentNode.offsetLeft - 40; }
  }
  window.addEventListener("resize", scrollNav);

  // ---- routing -------------------------------------------------------------

  var routes = [
    [/^\/app\/?$/, todayScreen],
    [/^\/app\/clients\/?$/, clientsScreen],
    [/^\/app\/clients\/([^/]+)\/?$/, clientScreen],
    [/^\/app\/reassignments\/?$/, reviewsScreen],
    [/^\/app\/reassignments\/([^/]+)\/print\/?$/, printScreen],
    [/^\/app\/reassignments\/([^/]+)\/?$/, reviewScreen],
    [/^\/app\/team\/?$/, teamScreen],
    [/^\/app\/compliance\/?$/, complianceScreen],
    [/^\/app\/coverage\/?$/, coverageScreen]
  ];

  function go(url, replace) {
    history[replace ? "replaceState" : "pushState"](null, "", url);
    render(true);
  }

  // render draws the screen of the current URL. A screen is a function of
  // {args, q} resolving to {title, node, screen}; an answer that arrives
  // after the person moved on is dropped.
  function render(moved) {
    var g = ++gen, fn = null, m = null;
    for (var i = 0; i < routes.length && !fn; i++) { if ((m = routes[i][0].exec(location.pathname))) { fn = routes[i][1]; } }
    document.body.setAttribute("data-state", "loading");
    if (moved) { main.replaceChildren(h("p", {class: "loading"}, "Loading…")); say(""); }
    ready.then(function () {
      drawNav();
      if (!fn) { throw failure(404, "not_found", "There is no such screen in Loupe."); }
      var args = m.slice(1).map(function (a) { try { return decodeURIComponent(a); } catch (e) { return a; } });
      return fn({args: args, q: new URLSearchParams(location.search)});
    }).then(function (out) {
      if (g !== gen) { return; }
      document.title = out.title + " · Loupe";
      main.replaceChildren(out.node);
      document.body.setAttribute("data-screen", out.screen);
      document.body.setAttribute("data-state", "ready");
      done(moved);
    }, function (e) {
      if (g !== gen || e.status === 401) { return; }
      var title = e.status === 403 ? "Not allowed" : e.status === 404 ? "Not found" : "Something went wrong";
      var lead = e.status === 403 ? "Your sign-in does not give access to this." : "";
      document.title = title + " · Loupe";
      main.replaceChildren(h("h1", null, title), h("p", null, lead), h("p", {class: "error"}, e.message),
        h("p", null, h("a", {href: "/app"}, "Back to Today")));
      document.body.setAttribute("data-error", e.code || String(e.status));
      document.body.setAttribute("data-state", "error");
      done(moved);
    });
  }
  function done(moved) {
    if (moved) { var t = main.querySelector("h1"); if (t) { t.tabIndex = -1; t.focus(); } }
    if (window.performance && performance.mark) { performance.mark("loupe-ready"); }
  }

  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[href]");
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey || a.target || a.hasAttribute("download")) { return; }
    var u = new URL(a.href, location.href);
    if (u.origin !== location.origin || !/^\/app(\/|$)/.test(u.pathname) || /^\/app\/signin/.test(u.pathname)) { return; }
    ev.preventDefault();
    if (u.pathname + u.search !== location.pathname + location.search) { go(u.pathname + u.search); }
  });
  window.addEventListener("popstate", function () { render(true); });
  $("signout").addEventListener("click", function () {
    try { sessionStorage.removeItem(TOKEN); sessionStorage.removeItem(NEXT); localStorage.removeItem(NEXT); } catch (e) { /* storage disabled */ }
    location.assign("/app/signin");
  });

  // ---- Today ---------------------------------------------------------------

  var early = null; // the Today list asked for at start (see start)

  function todayScreen(c) {
    var who = c.q.get("associate_id") || "", date = c.q.get("date") || "";
    var mine = !who || who === me.associate_id;
    var fetchList = function () { return api("/me/today" + query({associate_id: mine ? "" : who, date: date})); };
    var list = !(who || me.associate_id) ? Promise.resolve(null) :
      mine && !date && early ? early.then(function (l) { return l || fetchList(); }) : fetchList();
    early = null; // only the first draw may use it
    return Promise.all([list, colleagues(me.store_ids)]).then(function (r) {
      var l = r[0], team = r[1];
      var node = h("section", {class: "today", "aria-labelledby": "today-h"});
      var title = mine ? "Today" : nameOf(who) + "'s list";
      node.append(h("h1", {id: "today-h"}, title));
      if (team.length) {
        var opts = me.associate_id ? [["", "My list"]] : [["", "Choose an associate"]];
        team.forEach(function (a) { if (a.associate_id !== me.associate_id) { opts.push([a.associate_id, a.name]); } });
        var pick = select(opts, mine ? "" : who);
        pick.addEventListener("change", function () { go("/app" + query({associate_id: pick.value, date: date})); });
        node.append(h("div", {class: "no-print"}, field("Whose list", pick)));
      }
      if (!l) {
        node.append(h("p", null, "Choose an associate of your store to see and work their list, or open one below."),
          h("ul", {class: "list clients"}, team.map(function (a) {
            return h("li", {"data-associate": a.associate_id}, h("a", {href: "/app" + query({associate_id: a.associate_id})}, a.name),
              h("p", {class: "meta"}, a.listed + " listed this week · " + a.worked + " worked"));
          })));
        return {title: "Today", node: node, screen: "today"};
      }
      var summary = h("p", {id: "today-summary", class: "meta"});
      var items = h("ol", {id: "tasks", class: "list tasks", "aria-labelledby": "today-h"});
      node.append(h("p", {class: "meta"}, day(l.date, {weekday: "long", day: "numeric", month: "long"})), summary, items);
      var count = function () {
        var n = l.tasks.length, d = l.tasks.filter(function (t) { return t.outcome; }).length;
        summary.setAttribute("data-tasks", n);
        summary.setAttribute("data-done", d);
        summary.textContent = n ? n + (n === 1 ? " client" : " clients") + " to contact · " + d + " done" : "Nobody to contact today.";
      };
      l.tasks.forEach(function (t) { items.append(taskItem(t, count)); });
      count();
      return {title: title, node: node, screen: "today"};
    });
  }

  function taskItem(t, count) {
    var name = t.customer_name || "Client";
    var li = h("li", {class: "task", "data-task-id": t.task_id, "data-customer-id": t.customer_id, "data-reason": t.reason});
    var box = h("div", {class: "log"});
    li.append(
      h("h2", null, h("a", {href: "/app/clients/" + enc(t.customer_id)}, name)),
      h("p", {class: "why"}, h("strong", null, reasonWords(t.reason)), t.detail ? " · " + t.detail : ""),
      h("p", {class: "meta"}, "Suggested: " + (SUGGESTED[t.suggested_channel] || t.suggested_channel) + " · " +
        (t.last_contact_at ? "last contact " + when(t.last_contact_at) : "no contact yet")),
      h("p", {class: "reach"},
        t.phone && h("a", {class: "btn quiet", href: "tel:" + addr(t.phone), "aria-label": "Call " + name + " at " + t.phone}, "Call " + t.phone),
        t.phone && h("a", {class: "btn quiet", href: "sms:" + addr(t.phone), "aria-label": "Text " + name}, "Text"),
        t.email && h("a", {class: "btn quiet", href: "mailto:" + addr(t.email), "aria-label": "Email " + name + " at " + t.email}, "Email")),
      box);
    if (t.outcome) { markDone(li, box, t.outcome); } else { outcomeForm(t, li, box, name, count); }
    return li;
  }
  function markDone(li, box, outcome) {
    li.classList.add("done");
    li.setAttribute("data-outcome", outcome);
    box.replaceChildren(h("p", {class: "done-mark", tabindex: "-1"}, "✓ Done: " + (OUTCOMES[outcome] || words(outcome))));
  }
  function outcomeForm(t, li, box, name, count) {
    var note = h("input", {type: "text", class: "note", maxlength: "500", autocomplete: "off"});
    var more = select([["", "Choose…"], ["emailed", OUTCOMES.emailed], ["wrong_number", OUTCOMES.wrong_number],
      ["do_not_contact", OUTCOMES.do_not_contact]].concat(/^event_invite:/.test(t.reason) ? [["rsvp_yes", OUTCOMES.rsvp_yes], ["rsvp_no", OUTCOMES.rsvp_no]] : []), "");
    var log = function (outcome) {
      var controls = box.querySelectorAll("button,input,select");
      controls.forEach(function (x) { x.disabled = true; });
      say("Saving…");
      api("/tasks/" + enc(t.task_id) + "/outcome", "POST", {outcome: outcome, note: note.value.trim()}).then(function (r) {
        t.outcome = (r && r.outcome) || outcome;
        markDone(li, box, t.outcome);
        count();
        say("Logged " + (OUTCOMES[t.outcome] || t.outcome) + " for " + name + ".");
        box.firstChild.focus();
      }, function (e) {
        controls.forEach(function (x) { x.disabled = false; });
        say("Not saved: " + e.message, true);
      });
    };
    box.append(field("Note (optional)", note),
      h("div", {class: "outcomes", role: "group", "aria-label": "What happened with " + name},
        COMMON.map(function (o) { return h("button", {type: "button", "data-outcome": o, onclick: function () { log(o); }}, OUTCOMES[o]); })),
      h("div", {class: "row"}, field("Other outcome", more),
        h("button", {type: "button", class: "quiet", "aria-label": "Log the other outcome for " + name,
          onclick: function () { if (more.value) { log(more.value); } else { say("Choose an outcome first.", true); more.focus(); } }}, "Log")));
  }

  // ---- clients ---------------------------------------------------------------

  function clientsScreen(c) {
    var q = c.q.get("q") || "", store = c.q.get("store_id") || "";
    if (!me.associate_id && !store) { store = me.store_ids[0] || ""; }
    var scope = store ? {store_id: store} : {associate_id: me.associate_id};
    if (!scope.store_id && !scope.associate_id) { throw failure(403, "forbidden", "You have no book or store of clients."); }
    var input = h("input", {type: "search", name: "q", value: q, autocomplete: "off", enterkeyhint: "search"});
    var scopes = [];
    if (me.associate_id) { scopes.push(["", "My book"]); }
    if (manages()) { me.store_ids.forEach(function (s) { scopes.push([s, storeName(s)]); }); }
    var scopePick = scopes.length > 1 ? select(scopes, store) : null;
    var form = h("form", {role: "search", class: "row no-print", onsubmit: function (ev) {
      ev.preventDefault();
      go("/app/clients" + query({q: input.value.trim(), store_id: scopePick ? scopePick.value : c.q.get("store_id")}));
    }}, scopePick && field("Whose clients", scopePick), field("Search by name, email or phone", input, "grow"), h("button", {type: "submit"}, "Search"));
    var list = h("ul", {id: "clients", class: "list clients"});
    var counter = h("p", {id: "clients-count", class: "meta"});
    var more = h("button", {type: "button", class: "quiet", hidden: true}, "More clients");
    var cursor = "", shown = 0;
    var page = function () {
      return api("/customers" + query({associate_id: scope.associate_id, store_id: scope.store_id, q: q, cursor: cursor, limit: "50"})).then(function (b) {
        b.customers.forEach(function (x) {
          list.append(h("li", {"data-customer-id": x.customer_id},
            h("a", {href: "/app/clients/" + enc(x.customer_id)}, x.name || "Client"),
            h("p", {class: "meta"}, [x.next_occasion ? words(x.next_occasion.touchpoint) + " " + day(x.next_occasion.date) : "",
              x.last_contact_at ? "last contact " + when(x.last_contact_at) : "no contact yet"].filter(Boolean).join(" · "))));
        });
        shown += b.customers.length;
        cursor = b.next_cursor || "";
        more.hidden = !cursor;
        counter.setAttribute("data-shown", shown);
        counter.textContent = shown ? "Showing " + shown + (cursor ? " (more below)" : "") : q ? "No client matches “" + q + "”." : "No clients yet.";
      });
    };
    more.addEventListener("click", function () {
      more.disabled = true;
      page().then(function () { more.disabled = false; say("Showing " + shown + " clients."); }, function (e) { more.disabled = false; say(e.message, true); });
    });
    return page().then(function () {
      var title = me.associate_id && !store ? "My clients" : "Clients";
      return {title: title, screen: "clients", node: h("section", null, h("h1", null, title), form, counter, list, more)};
    });
  }

  function clientScreen(c) {
    var id = c.args[0], base = "/customers/" + enc(id);
    var soft = function (p) { return p.catch(function (e) { return {error: e}; }); };
    return Promise.all([api(base), soft(api(base + "/purchases")), soft(api(base + "/contacts")), soft(api(base + "/repairs"))]).then(function (r) {
      var cu = r[0], ps = r[1], cs = r[2], rs = r[3];
      var name = [cu.first_name, cu.last_name].filter(Boolean).join(" ") || "Client";
      var dl = h("dl", {class: "profile"});
      var row = function (k, v) { if (v || v === 0) { dl.append(h("dt", null, k), h("dd", null, v)); } };
      row("Phone", cu.phone && h("a", {href: "tel:" + addr(cu.phone)}, cu.phone));
      row("Email", cu.email && [h("a", {href: "mailto:" + addr(cu.email)}, cu.email),
        cu.email_status && cu.email_status !== "ok" ? " (" + cu.email_status + ")" : "", cu.email_opt_out ? " · no marketing email" : ""]);
      row("Birthday", occasion(cu.birthday));
      row("Anniversary", occasion(cu.anniversary));
      row("Likes", (cu.preferences || []).length && (cu.preferences || []).map(function (p) { return h("span", {class: "tag"}, p.replace(/_/g, " ")); }));
      row("Associate", cu.associate_id ? nameOf(cu.associate_id) : "nobody yet");
      row("Last contact", cu.last_contact_at ? when(cu.last_contact_at) : "none yet");
      var consents = cu.consents || {};
      row("May contact by", ["email", "sms", "voice", "mail", "ads"].filter(function (k) { return consents[k]; }).map(function (k) {
        return h("span", {class: "tag", "data-consent": k + ":" + consents[k].status}, (CHANNELS[k] || k) + ": " + (CONSENT[consents[k].status] || consents[k].status));
      }));
      var node = h("article", {"aria-labelledby": "client-h", "data-customer-id": cu.customer_id},
        h("h1", {id: "client-h"}, name),
        h("p", {class: "reach"},
          cu.phone && h("a", {class: "btn quiet", href: "tel:" + addr(cu.phone), "aria-label": "Call " + name}, "Call"),
          cu.phone && h("a", {class: "btn quiet", href: "sms:" + addr(cu.phone), "aria-label": "Text " + name}, "Text"),
          cu.email && h("a", {class: "btn quiet", href: "mailto:" + addr(cu.email), "aria-label": "Email " + name}, "Email")),
        h("section", {class: "card", "aria-labelledby": "profile-h"}, h("h2", {id: "profile-h"}, "Profile"), dl));
      var pl = h("ul", {id: "purchases", class: "list purchases"});
      if (ps.error) { pl.append(h("li", {class: "error"}, ps.error.message)); }
      (ps.purchases || []).forEach(function (p) {
        pl.append(h("li", null, h("strong", null, money(p.total_cents)), " · " + day(p.purchased_at.slice(0, 10), {day: "numeric", month: "short", year: "numeric"}),
          (p.categories || []).length ? " · " + p.categories.join(", ").replace(/_/g, " ") : "", p.associate_id ? " · sold by " + nameOf(p.associate_id) : ""));
      });
      if (!pl.children.length) { pl.append(h("li", {class: "muted"}, "No purchases on record.")); }
      var rl = h("ul", {id: "repairs", class: "list repairs"});
      if (rs.error) { rl.append(h("li", {class: "error"}, rs.error.message)); }
      (rs.repairs || []).forEach(function (x) { // the day is the store's (local_day)
        var by = x.associate_id === me.associate_id ? me.name : names[x.associate_id];
        rl.append(h("li", {"data-repair-id": x.repair_id}, h("strong", null, day(x.local_day, {day: "numeric", month: "short", year: "numeric"})),
          " · " + (x.item || "repair"), by ? " · taken in by " + by : ""));
      });
      if (!rl.children.length) { rl.append(h("li", {class: "muted"}, "No repairs")); }
      var hl = h("ol", {id: "history", class: "list history"});
      if (cs.error) { hl.append(h("li", {class: "error"}, cs.error.message)); }
      (cs.contacts || []).forEach(function (x) {
        var what = x.outcome ? OUTCOMES[x.outcome] || words(x.outcome) : touchWords(x.touchpoint);
        hl.append(h("li", {"data-channel": x.channel, "data-outcome": x.outcome || null, "data-by": x.by},
          h("strong", null, what), " · " + (CHANNELS[x.channel] || x.channel) + " · " + when(x.at) + " · " +
          (x.by === "loupe" ? "by Loupe" : "by " + nameOf(x.by)) + (x.status && x.status !== "logged" ? " · " + x.status : ""),
          x.note && h("p", {class: "note-text"}, x.note)));
      });
      if (!hl.children.length) { hl.append(h("li", {class: "muted"}, "No contact yet.")); }
      node.append(h("section", {class: "card", "aria-labelledby": "purchases-h"}, h("h2", {id: "purchases-h"}, "Purchases"), pl),
        h("section", {class: "card", "aria-labelledby": "repairs-h"}, h("h2", {id: "repairs-h"}, "Repairs"), rl),
        h("section", {class: "card", "aria-labelledby": "history-h"}, h("h2", {id: "history-h"}, "Contact history"), hl));
      return {title: name, node: node, screen: "client"};
    });
  }

  // ---- reassignment review -------------------------------------------------

  function reviewsScreen() {
    return api("/reassignments").then(function (b) {
      var ul = h("ul", {class: "list batches"});
      b.reassignments.forEach(function (r) {
        ul.append(h("li", {"data-batch": r.id}, h("a", {href: "/app/reassignments/" + enc(r.id)},
          (r.associate_id ? "Clients of " + (r.associate_name || nameOf(r.associate_id)) : "Clients without an associate") + " · " + num(r.clients) + " clients"),
          h("p", {class: "meta"}, storeName(r.store_id, r.store_name) + " · " + (r.created_at_local || when(r.created_at)) + " · " + words(r.status))));
      });
      if (!b.reassignments.length) { ul.append(h("li", {class: "muted"}, "No reassignments to review.")); }
      return {title: "Reviews", screen: "reviews", node: h("section", null, h("h1", null, "Reassignments to review"),
        h("p", {class: "meta"}, "When a colleague leaves, Loupe places their clients with the associate who fits best. Claim the clients you know."), ul)};
    });
  }

  function reasonTexts(a) {
    return (a.reason_texts && a.reason_texts.length === (a.reasons || []).length ? a.reason_texts : (a.reasons || []).map(matchWords));
  }
  function owner(a) { return a.claimed && a.claimed_by ? a.claimed_by : a.to_associate_id || ""; }
  function ownerName(a) {
    if (a.claimed && a.claimed_by) { return a.claimed_by_name || nameOf(a.claimed_by); }
    return a.to_associate_name || (a.to_associate_id ? nameOf(a.to_associate_id) : "Not placed");
  }
  // groups returns the assignments by new associate (their current
  // owner), in order of name, the clients nobody could take last.
  function groups(rv) {
    var by = {}, out = [];
    rv.assignments.forEach(function (a) {
      learn(a.to_associate_id, a.to_associate_name);
      learn(a.claimed_by, a.claimed_by_name);
    });
    rv.assignments.forEach(function (a) {
      var k = owner(a);
      if (!by[k]) { by[k] = {id: k, name: k ? ownerName(a) : "Not placed", items: []}; out.push(by[k]); }
      by[k].items.push(a);
    });
    return out.sort(function (x, y) { return (!x.id) - (!y.id) || x.name.localeCompare(y.name); });
  }
  function batchTitle(rv) {
    var from = rv.associate_name || (rv.associate_id && names[rv.associate_id]);
    return from ? "Clients of " + from : "Reassigned clients";
  }
  function batchMeta(rv) {
    return [storeName(rv.store_id, rv.store_name), "reassigned " + (rv.created_at_local || when(rv.created_at)),
      num(rv.assignments.length) + " clients"].filter(Boolean).join(" · ");
  }

  function reviewScreen(c) {
    var id = c.args[0], path = "/reassignments/" + enc(id);
    return api(path).then(function (rv) {
      return (manages() ? team(rv.store_id) : Promise.resolve(null)).then(function (t) { return [rv, t]; });
    }).then(function (r) {
      var rv = r[0], t = r[1];
      var self = me.associate_id && me.store_ids.indexOf(rv.store_id) >= 0 ? me.associate_id : "";
      var forPick = null;
      if (t && t.associates.length) {
        forPick = select(t.associates.map(function (a) { return [a.associate_id, a.name]; }), self || t.associates[0].associate_id);
      }
      var node = h("section", {class: "review", "data-batch": rv.id, "aria-labelledby": "review-h"},
        h("h1", {id: "review-h"}, batchTitle(rv)), h("p", {class: "meta"}, batchMeta(rv)));
      var find = h("input", {type: "search", autocomplete: "off"});
      node.append(h("div", {class: "row no-print"},
        forPick && field("Claim for", forPick), field("Find a client", find, "grow"),
        h("a", {class: "btn quiet", href: "/app/reassignments/" + enc(rv.id) + "/print"}, "Print view")));
      if (!self && !forPick) { node.append(h("p", {class: "meta"}, "Only associates of this store may claim its clients.")); }
      groups(rv).forEach(function (g, gi) {
        var ul = h("ul", {class: "list clients"});
        g.items.forEach(function (a) { ul.append(reviewRow(rv, a, self, forPick, path)); });
        node.append(h("section", {class: "card", "aria-labelledby": "g" + gi, "data-group": g.id},
          h("h2", {id: "g" + gi}, g.name + " · " + g.items.length), ul));
      });
      find.addEventListener("input", function () {
        var s = find.value.trim().toLowerCase();
        node.querySelectorAll("li[data-name]").forEach(function (li) { li.hidden = s && li.getAttribute("data-name").indexOf(s) < 0; });
      });
      return {title: batchTitle(rv), node: node, screen: "review"};
    });
  }

  function reviewRow(rv, a, self, forPick, path) {
    var name = a.customer_name || "Client";
    var li = h("li", {"data-customer-id": a.customer_id, "data-name": name.toLowerCase()});
    var state = h("p", {class: "state"});
    var act = h("p", {class: "toolbar no-print"});
    var target = function () { return forPick ? forPick.value : self; };
    var claim = function (btn, override) {
      var to = target();
      btn.disabled = true;
      say("Claiming…");
      api(path + "/claims", "POST", {customer_id: a.customer_id, associate_id: to, override: override || undefined}).then(function (res) {
        Object.assign(a, res);
        learn(a.claimed_by, a.claimed_by_name);
        draw("");
        say("Claimed " + name + " for " + (to === me.associate_id ? "you" : nameOf(to)) + ".");
      }, function (e) {
        if (e.status !== 409) { btn.disabled = false; say("Not claimed: " + e.message, true); return; }
        var by = (/claimed by ([^\s;,]+)/.exec(e.message) || [])[1] || "";
        api(path).then(function (fresh) {
          fresh.assignments.forEach(function (x) { learn(x.to_associate_id, x.to_associate_name); learn(x.claimed_by, x.claimed_by_name); });
          var f = fresh.assignments.filter(function (x) { return x.customer_id === a.customer_id; })[0];
          if (f) { Object.assign(a, f); }
        }).catch(function () { /* the message still says who */ }).then(function () {
          var who = a.claimed ? a.claimed_by_name || nameOf(a.claimed_by) : nameOf(by);
          var msg = a.claimed || by ? "Already claimed by " + (who || "someone else") : e.message;
          draw(msg);
          say(msg + ".", true);
        });
      });
    };
    var draw = function (conflict) {
      li.setAttribute("data-claimed", a.claimed ? "true" : "false");
      state.replaceChildren(conflict ? h("span", {class: "conflict"}, conflict) :
        a.claimed ? h("span", {class: "claimed"}, "Claimed by " + (a.claimed_by === me.associate_id ? "you" : a.claimed_by_name || nameOf(a.claimed_by)) +
          (a.claimed_at_local ? " · " + a.claimed_at_local : "")) :
          a.state && a.state !== "moved" ? a.state_text || words(a.state) : "");
      act.replaceChildren();
      if (!a.claimed && a.state !== "skipped: customer gone" && (self || forPick)) {
        act.append(h("button", {type: "button", class: "claim", "aria-label": "Claim " + name + (self ? " for yourself" : " for the associate chosen above"), onclick: function (ev) { claim(ev.currentTarget); }}, "Claim"));
      } else if (a.claimed && forPick && conflict === "") {
        act.append(h("button", {type: "button", class: "quiet", "aria-label": "Reassign " + name + " to the associate chosen above",
          onclick: function (ev) { claim(ev.currentTarget, true); }}, "Reassign"));
      }
    };
    li.append(h("a", {href: "/app/clients/" + enc(a.customer_id)}, name),
      h("p", {class: "meta"}, reasonTexts(a).join(" · ")), state, act);
    draw("");
    return li;
  }

  function printScreen(c) {
    var id = c.args[0];
    return api("/reassignments/" + enc(id)).then(function (rv) {
      var node = h("article", {class: "sheet", "aria-labelledby": "sheet-h", "data-batch": rv.id},
        h("p", {class: "toolbar no-print"}, h("button", {type: "button", onclick: function () { window.print(); }}, "Print"),
          h("a", {class: "btn quiet", href: "/app/reassignments/" + enc(rv.id)}, "Back to the review")),
        h("h1", {id: "sheet-h"}, batchTitle(rv)), h("p", {class: "meta"}, batchMeta(rv)),
        h("p", {class: "meta"}, "Note in the last column how you know the client, or who should look after them."));
      groups(rv).forEach(function (g, gi) {
        var tb = h("tbody");
        g.items.forEach(function (a, i) {
          tb.append(h("tr", {"data-customer-id": a.customer_id},
            h("td", {class: "n num"}, i + 1),
            h("td", {class: "client", "data-label": "Client"}, a.customer_name || "Client"),
            h("td", {class: "why", "data-label": "Why"}, reasonTexts(a).join(", ")),
            h("td", {class: "claim", "data-label": "Claimed"}, a.claimed ? a.claimed_by_name || nameOf(a.claimed_by) : ""),
            h("td", {class: "notes", "data-label": "Notes"})));
        });
        node.append(h("section", {class: "group", "aria-labelledby": "p" + gi},
          h("h2", {id: "p" + gi}, g.name + " · " + g.items.length + (g.items.length === 1 ? " client" : " clients")),
          h("table", {class: "stack"}, h("thead", null, h("tr", null, h("th", {class: "n num", scope: "col"}, "#"),
            h("th", {class: "client", scope: "col"}, "Client"), h("th", {class: "why", scope: "col"}, "Why this associate"),
            h("th", {class: "claim", scope: "col"}, "Claimed by"), h("th", {class: "notes", scope: "col"}, "Connection / notes"))), tb)));
      });
      return {title: batchTitle(rv) + " (print)", node: node, screen: "print"};
    });
  }

  // ---- managers ----------------------------------------------------------

  function teamScreen() {
    if (!manages()) { throw failure(403, "forbidden", "The team's week is for store managers."); }
    return Promise.all(me.store_ids.map(function (s) { return team(s, true); })).then(function (ps) {
      var node = h("section", {"aria-labelledby": "team-h"}, h("h1", {id: "team-h"}, "Team"));
      ps.filter(Boolean).forEach(function (p) {
        var tb = h("tbody");
        p.associates.forEach(function (a) {
          tb.append(h("tr", {"data-associate": a.associate_id, "data-listed": a.listed, "data-worked": a.worked, "data-reached": a.reached},
            h("th", {scope: "row"}, h("a", {href: "/app" + query({associate_id: a.associate_id}), "aria-label": a.name + "'s list today"}, a.name)),
            h("td", {class: "num"}, a.listed), h("td", {class: "num"}, a.worked), h("td", {class: "num"}, a.reached)));
        });
        node.append(h("section", {class: "card", "data-store": p.store_id},
          h("h2", null, storeName(p.store_id, p.store_name) + ": " + day(p.from) + " to " + day(p.to)),
          h("div", {class: "scroll"}, h("table", null, h("thead", null, h("tr", null, h("th", {scope: "col"}, "Associate"),
            h("th", {scope: "col", class: "num"}, "Listed"), h("th", {scope: "col", class: "num"}, "Worked"),
            h("th", {scope: "col", class: "num"}, "Reached"))), tb))));
      });
      if (node.children.length === 1) { node.append(h("p", null, "You manage no store.")); }
      return {title: "Team", node: node, screen: "team"};
    });
  }

  function complianceScreen(c) {
    var p = {from: c.q.get("from") || "", to: c.q.get("to") || "", store_id: c.q.get("store_id") || ""};
    return api("/compliance" + query(p)).then(function (rep) {
      var from = h("input", {type: "date", value: rep.from}), to = h("input", {type: "date", value: rep.to});
      var store = select([["", "All my stores"]].concat(rep.stores.map(function (s) { return [s.store_id, s.name || s.store_id]; })), p.store_id);
      var node = h("section", {"aria-labelledby": "comp-h"}, h("h1", {id: "comp-h"}, "Repair email capture"),
        h("form", {class: "row no-print", onsubmit: function (ev) {
          ev.preventDefault();
          go("/app/compliance" + query({from: from.value, to: to.value, store_id: store.value}));
        }}, field("From", from), field("To", to), field("Store", store), h("button", {type: "submit"}, "Show")),
        h("div", {id: "totals", class: "card", "data-take-ins": rep.totals.take_ins, "data-with-email": rep.totals.with_email, "data-rate": rep.totals.rate},
          h("p", {class: "meta"}, day(rep.from) + " to " + day(rep.to)),
          h("div", {class: "figures"}, h("p", null, h("span", {class: "big"}, pct(rep.totals.rate, rep.totals.take_ins)), "captured"),
            h("p", null, h("span", {class: "big"}, num(rep.totals.with_email) + " of " + num(rep.totals.take_ins)), "take-ins with an email"))));
      rep.stores.forEach(function (s) {
        storeName(s.store_id, s.name);
        (s.associates || []).forEach(function (a) { learn(a.associate_id, a.name); });
        var at = h("tbody");
        (s.associates || []).forEach(function (a) {
          at.append(h("tr", {"data-associate": a.associate_id, "data-take-ins": a.take_ins, "data-with-email": a.with_email},
            h("th", {scope: "row"}, a.name || a.associate_id), h("td", {class: "num"}, num(a.take_ins)),
            h("td", {class: "num"}, num(a.with_email)), h("td", {class: "num"}, pct(a.rate, a.take_ins))));
        });
        var mt = h("tbody");
        (s.missing || []).forEach(function (m) {
          mt.append(h("tr", {"data-repair": m.repair_id, "data-customer-id": m.customer_id},
            h("td", {"data-label": "Client"}, m.customer_id ? h("a", {href: "/app/clients/" + enc(m.customer_id)}, m.customer_name || "Client record") : m.customer_name || "Erased client"),
            h("td", {"data-label": "Taken in by"}, nameOf(m.associate_id)),
            h("td", {"data-label": "When"}, when(m.taken_in_at, s.timezone)),
            h("td", {"data-label": "Problem"}, MISSING[m.reason] || words(m.reason)),
            h("td", {"data-label": "Suggestion", "data-suggestion": m.suggestion || ""}, m.suggestion ? "Did they mean " + m.suggestion + "?" : "Ask for an email at pick-up")));
        });
        node.append(h("section", {class: "card", "data-store": s.store_id, "data-take-ins": s.take_ins, "data-with-email": s.with_email, "data-rate": s.rate, "aria-labelledby": "st-" + s.store_id},
          h("h2", {id: "st-" + s.store_id}, (s.name || s.store_id) + ": " + pct(s.rate, s.take_ins)),
          h("p", {class: "meta"}, num(s.with_email) + " of " + num(s.take_ins) + " take-ins with an email"),
          h("div", {class: "scroll"}, h("table", null, h("caption", {class: "meta"}, "By associate"), h("thead", null, h("tr", null,
            h("th", {scope: "col"}, "Associate"), h("th", {scope: "col", class: "num"}, "Take-ins"), h("th", {scope: "col", class: "num"}, "With email"),
            h("th", {scope: "col", class: "num"}, "Rate"))), at)),
          h("h3", null, "Take-ins without a usable email (" + (s.missing || []).length + ")"),
          (s.missing || []).length ? h("table", {class: "stack"}, h("thead", null, h("tr", null, ["Client", "Taken in by", "When", "Problem", "Suggestion"].map(function (x) {
            return h("th", {scope: "col"}, x);
          }))), mt) : h("p", {class: "muted"}, "None: every take-in has an email.")));
      });
      return {title: "Compliance", node: node, screen: "compliance"};
    });
  }

  function coverageScreen(c) {
    var store = c.q.get("store_id") || "";
    return api("/coverage" + query({store_id: store})).then(function (b) {
      var node = h("section", {"aria-labelledby": "cov-h"}, h("h1", {id: "cov-h"}, "Coverage"),
        h("p", {class: "meta"}, "Who Loupe can reach on each channel, and what it sent in the last 30 days."));
      b.stores.forEach(function (s) {
        storeName(s.store_id, s.name);
        var tb = h("tbody"), bc = s.by_channel || {};
        Object.keys(bc).sort().forEach(function (k) {
          tb.append(h("tr", {"data-channel": k, "data-reachable": bc[k].reachable, "data-sent": bc[k].sent_30d},
            h("th", {scope: "row"}, CHANNELS[k] || words(k)), h("td", {class: "num"}, num(bc[k].reachable)), h("td", {class: "num"}, num(bc[k].sent_30d))));
        });
        var skipped = Object.keys(s.skipped_30d || {}).map(function (k) { return words(k) + ": " + num(s.skipped_30d[k]); });
        node.append(h("section", {class: "card", "data-store": s.store_id, "data-emailable": s.emailable, "data-touched": s.touched_5_plus},
          h("h2", null, s.name || s.store_id),
          h("div", {class: "figures"},
            h("p", null, h("span", {class: "big"}, num(s.emailable)), "emailable clients"),
            h("p", null, h("span", {class: "big"}, num(s.touched_5_plus)), "touched 5+ times in a year"),
            h("p", null, h("span", {class: "big"}, num(s.sent_30d)), "sent in 30 days"),
            h("p", null, h("span", {class: "big"}, num(s.unreachable)), "reachable on no message channel")),
          h("div", {class: "scroll"}, h("table", null, h("thead", null, h("tr", null, h("th", {scope: "col"}, "Channel"),
            h("th", {scope: "col", class: "num"}, "Reachable"), h("th", {scope: "col", class: "num"}, "Sent, 30 days"))), tb)),
          h("p", {class: "meta"}, skipped.length ? "Skipped: " + skipped.join(" · ") : "Nothing skipped.")));
      });
      return {title: "Coverage", node: node, screen: "coverage"};
    });
  }

  // ---- start -----------------------------------------------------------------

  if (!token()) { toSignin(); return; }
  // Opened on Today (the usual first screen): ask for the list at once,
  // beside /me, instead of one round trip after it.
  // Only for a person known to have a list of their own (the sign-in page
  // or an earlier /me says so): a manager without one gets none to ask for.
  var own = "";
  try { own = sessionStorage.getItem("loupe.own_list") || ""; } catch (e) { /* storage disabled */ }
  early = own === "1" && /^\/app\/?$/.test(location.pathname) && !location.search ? api("/me/today").catch(function () { return null; }) : null;
  var ready = api("/me").then(function (b) {
    me = b;
    try { sessionStorage.setItem("loupe.own_list", me.associate_id ? "1" : "0"); } catch (e) { /* storage disabled */ }
    me.roles = me.roles || [];
    me.store_ids = me.store_ids || [];
    learn(me.associate_id, me.name);
  });
  render(false);
})();
