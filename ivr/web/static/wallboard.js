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

// The call log is an admin's page: a supervisor sees the call's id, not a link.
function callCell(board, id, className) {
  return board.admin ? callLink(id, className) : cell(id);
}

const MODES = [["listen", "Dengar"], ["whisper", "Bisik"], ["barge", "Masuk"]];

function superviseButton(agent, mode, label) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.className = `supervise-${mode}`;
  button.dataset.agent = agent;
  button.addEventListener("click", () => supervise(agent, mode));
  return button;
}

// Rings the supervisor's own phone into the call (POST, with the page's CSRF token).
async function supervise(agent, mode) {
  const status = document.getElementById("supervise-result");
  const body = new URLSearchParams({
    csrf: document.getElementById("supervise").dataset.csrf, agent, mode,
  });
  try {
    const answer = await fetch("/admin/api/supervise", {
      method: "POST", credentials: "same-origin", body,
    });
    const result = await answer.json();
    status.textContent = answer.ok ? `${mode} ${agent}: telepon Anda berdering` : result.error;
  } catch (e) {
    status.textContent = String(e);
  }
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
      return [cell(c.started_text), cell(c.caller), cell(c.where), callCell(board, c.id, "live-call")];
    }));
    // Calls rated low (ivr.low_rating or less): each links to its call page to review.
    fill("#review tbody", board.review.map((r) => [cell(r.at_text), cell(r.score),
      cell(r.agent || "layanan mandiri"), cell(r.queue), callCell(board, r.call_id, "review-call")]));
    fill("#agent-calls tbody", board.agent_calls.map((c) => {
      const td = document.createElement("td");
      td.append(...MODES.map(([mode, label]) => superviseButton(c.agent, mode, label)));
      return [cell(c.agent), cell(c.tier), cell(c.caller), cell(c.since_text), td];
    }));
    // Locks after too many wrong dates of birth or PINs (porsi and numbers masked).
    fill("#alerts tbody", board.alerts.map((a) => [cell(a.what), cell(a.subject),
      cell(a.at_text), cell(a.count)]));
    // Recordings past web.recordings_warn_mib: the warning the server wrote, else hidden.
    const warning = document.getElementById("recordings-warning");
    warning.textContent = board.recordings_warning;
    warning.hidden = !board.recordings_warning;
    document.body.dataset.updated = String(board.at);
  } catch (e) {
    document.body.dataset.error = String(e);
  }
}

refresh();
setInterval(refresh, 2000);
