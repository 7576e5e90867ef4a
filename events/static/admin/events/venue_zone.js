// Session times in the admin are typed in the venue's zone (else the meeting's). When a venue,
// a meeting or the meeting's zone is picked on screen, the zone next to the time fields follows,
// and an empty zone field of a meeting is filled from its venue. The server names the zone and
// its UTC offset on the session's day (admin/events/venue/zone/).
"use strict";
(function () {
  function endpoint() {
    // /admin/events/meeting/add/ or /admin/events/session/5/change/ -> /admin/events/venue/zone/
    const match = window.location.pathname.match(/^(.*?\/)events\//);
    return (match ? match[1] : "/admin/") + "events/venue/zone/";
  }

  function ask(params) {
    const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
    return fetch(endpoint() + "?" + query.toString(), { credentials: "same-origin" }).then((r) => r.json());
  }

  function value(id) {
    const field = document.getElementById(id);
    return field ? field.value : "";
  }

  // The zone a session without its own venue is held in, as the form on screen says it.
  function fallbackParams() {
    if (document.getElementById("id_meeting")) return { meeting: value("id_meeting") }; // a session's own form
    if (value("id_timezone")) return { zone: value("id_timezone") };
    return { venue: value("id_venue") };
  }

  function refresh(row) {
    if (!row.querySelector(".venue-zone")) return;
    const venue = row === document ? document.querySelector("#id_venue") : row.querySelector("select[name$='-venue']");
    const day = row.querySelector("input[name$='starts_on']");
    const params = { day: day && day.value ? day.value : value("id_start_date") };
    if (venue && venue.value && !(row === document && !document.getElementById("id_meeting"))) {
      params.venue = venue.value;
    } else {
      Object.assign(params, fallbackParams());
    }
    ask(params).then((answer) => {
      row.querySelectorAll(".venue-zone").forEach((label) => {
        if (answer.label) label.textContent = answer.label;
        label.dataset.zone = answer.timezone || "";
      });
    });
  }

  function refreshAll() {
    const rows = document.querySelectorAll("tr.form-row, .inline-related");
    if (rows.length) rows.forEach(refresh);
    else refresh(document);
  }

  let autoZone = null;
  function changed(event) {
    const target = event.target;
    if (!target || !target.name) return;
    const meetingForm = !document.getElementById("id_meeting");
    if (target.id === "id_venue" && meetingForm) {
      const zoneField = document.getElementById("id_timezone");
      ask({ venue: target.value }).then((answer) => {
        if (zoneField && answer.timezone && (!zoneField.value || zoneField.value === autoZone)) {
          zoneField.value = answer.timezone;
          autoZone = answer.timezone;
        }
        refreshAll();
      });
    } else if (["id_timezone", "id_meeting", "id_venue", "id_starts_on", "id_start_date"].includes(target.id)) {
      refreshAll();
    } else if (/-venue$/.test(target.name) || /-starts_on$/.test(target.name)) {
      refresh(target.closest("tr.form-row, .inline-related") || document);
    }
  }

  document.addEventListener("change", changed);
  document.addEventListener("DOMContentLoaded", () => {
    // Select2 (the autocomplete widgets) announces a pick through jQuery only.
    if (window.django && window.django.jQuery) {
      window.django.jQuery(document).on("select2:select select2:clear", "select", changed);
    }
  });
  document.addEventListener("formset:added", (event) => refresh(event.target));
})();
