// Parse an iCalendar feed from stdin with Mozilla's ical.js and print JSON:
// {"errors": [...], "events": [{uid, summary, description, start, end, tzid, date_only, status, sequence}]}
// Exit status 0 even when the feed has problems: they are reported in "errors".
"use strict";
const path = require("path");
const ICAL = require(path.join(__dirname, "..", "js", "node_modules", "ical.js", "dist", "ical.es5.cjs"));

function timeJSON(time) {
  if (!time) return null;
  if (time.isDate) {
    const pad = (n, w) => String(n).padStart(w, "0");
    return `${pad(time.year, 4)}-${pad(time.month, 2)}-${pad(time.day, 2)}`;
  }
  return time.toJSDate().toISOString().replace(".000Z", "Z");
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const errors = [];
  const events = [];
  try {
    const root = new ICAL.Component(ICAL.parse(input));
    const calendars = root.name === "vcalendar" ? [root] : root.getAllSubcomponents("vcalendar");
    for (const calendar of calendars) {
      // Register the feed's own VTIMEZONEs, as a calendar client does.
      for (const vtz of calendar.getAllSubcomponents("vtimezone")) {
        ICAL.TimezoneService.register(vtz);
      }
      for (const vevent of calendar.getAllSubcomponents("vevent")) {
        const event = new ICAL.Event(vevent);
        const startProp = vevent.getFirstProperty("dtstart");
        const tzid = startProp ? startProp.getParameter("tzid") || null : null;
        if (tzid && !ICAL.TimezoneService.has(tzid)) errors.push(`unknown TZID ${tzid} in ${event.uid}`);
        for (const required of ["uid", "dtstamp", "dtstart"]) {
          if (!vevent.hasProperty(required)) errors.push(`${event.uid}: missing ${required}`);
        }
        events.push({
          uid: event.uid,
          summary: event.summary,
          description: event.description,
          start: timeJSON(event.startDate),
          end: timeJSON(event.endDate),
          tzid,
          date_only: event.startDate ? event.startDate.isDate : null,
          status: vevent.getFirstPropertyValue("status"),
          sequence: event.sequence,
        });
      }
    }
  } catch (error) {
    errors.push(String(error && error.stack ? error.stack : error));
  }
  process.stdout.write(JSON.stringify({ errors, events }));
});
