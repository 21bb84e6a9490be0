// hajj-ivr wallboard: the numbers refresh every two seconds from /admin/api/wallboard.
"use strict";

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "—" : String(text);
  return td;
}

function fill(tbodySelector, rows) {
  const body = document.querySelector(tbodySelector);
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  }));
}

function callLink(id, className) {
  const link = document.createElement("a");
  link.href = `/admin/calls/${encodeURIComponent(id)}`;
  link.textContent = id;
  link.className = className;
  const td = document.createElement("td");
  td.append(link);
  return td;
}

async function refresh() {
  try {
    const answer = await fetch("/admin/api/wallboard", { credentials: "same-origin" });
    if (answer.status === 401 || answer.status === 403) {
      window.location = "/login?next=/admin";
      return;
    }
    const board = await answer.json();
    for (const [key, value] of Object.entries(board)) {
      const tile = document.getElementById(`tile-${key}`);
      if (tile) tile.textContent = value === null ? "—" : String(value);
    }
    fill("#agents tbody", board.agents.map((a) => [cell(a.name), cell(a.tier), cell(a.state),
      cell(a.calls)]));
    fill("#live tbody", board.live.map((c) => {
      // The server writes the time in the hotline's zone, labelled (not the browser's zone).
      return [cell(c.started_text), cell(c.caller), cell(c.where), callLink(c.id, "live-call")];
    }));
    // Calls rated low (ivr.low_rating or less): each links to its call page to review.
    fill("#review tbody", board.review.map((r) => [cell(r.at_text), cell(r.score),
      cell(r.agent || "layanan mandiri"), cell(r.queue), callLink(r.call_id, "review-call")]));
    // Locks after too many wrong dates of birth or PINs (porsi and numbers masked).
    fill("#alerts tbody", board.alerts.map((a) => [cell(a.what), cell(a.subject),
      cell(a.at_text), cell(a.count)]));
    document.body.dataset.updated = String(board.at);
  } catch (e) {
    document.body.dataset.error = String(e);
  }
}

refresh();
setInterval(refresh, 2000);
