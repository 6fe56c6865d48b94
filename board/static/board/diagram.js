// The linked family as a small diagram: people and addresses as boxes, relationships as labelled lines,
// each box listing its flags, officer safety first. An SVG built from the snapshot's `network`; the same
// facts are listed as text beside it (the flags list), so nothing is only in the picture.

const SVG = "http://www.w3.org/2000/svg";
const BOX_W = 210;
const GAP = 40;
const LINE = 16;
const TOP = 60; // room above the people for the arcs between them

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}

const GROUP_ORDER = ["officer_safety", "safeguarding", "domestic_abuse", "vulnerability", "health", "other"];
const SEVERITY_ORDER = ["critical", "high", "medium", "low"];

export function flagOrder(a, b) {
  return (
    GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group) ||
    SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity)
  );
}

function clip(text, max = 30) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function familyDiagram(snapshot) {
  const network = snapshot.network || { members: [], addresses: [], flags: [] };
  const people = new Map();
  for (const subject of snapshot.subjects || []) people.set(subject.id, { person: subject, relation: subject.relation });
  for (const member of network.members || []) {
    if (!people.has(member.person.id)) people.set(member.person.id, { person: member.person, relation: member.relation });
  }
  const addresses = (network.addresses || []).map((a) => a.address);
  const flagsOf = new Map();
  for (const flag of [...(network.flags || [])].sort(flagOrder)) {
    const key = flag.subject_person || flag.subject_address;
    if (!flagsOf.has(key)) flagsOf.set(key, []);
    flagsOf.get(key).push(flag);
  }
  const height = (key) => 44 + Math.min((flagsOf.get(key) || []).length, 4) * LINE;
  const place = (items, y) =>
    new Map(items.map((item, i) => [item.id, { x: GAP / 2 + i * (BOX_W + GAP), y, h: height(item.id) }]));
  const personBoxes = place([...people.values()].map((p) => p.person), TOP);
  const rowHeight = Math.max(80, ...[...personBoxes.values()].map((b) => b.h));
  const addressBoxes = place(addresses, TOP + rowHeight + 80);
  const width = Math.max(people.size, addresses.length, 1) * (BOX_W + GAP);
  const bottom = Math.max(TOP + rowHeight, ...[...addressBoxes.values()].map((b) => b.y + b.h)) + 20;

  const root = svg("svg", {
    viewBox: `0 0 ${width} ${bottom}`,
    role: "img",
    "aria-labelledby": "diagram-title",
    class: "family",
  });
  const names = [...people.values()].map((p) => `${p.person.given_name} ${p.person.family_name}`);
  root.append(svg("title", { id: "diagram-title" }, `Family diagram: ${names.join(", ")}; ${addresses.length} address(es).`));

  // A relationship between two people arcs over their row (never through a box between them); a home
  // is a dashed line down to its address.
  const edge = (from, to, label, dashed = false) => {
    if (!from || !to) return;
    let d;
    let lx;
    let ly;
    if (from.y === to.y) {
      const [a, b] = from.x < to.x ? [from, to] : [to, from];
      const x1 = a.x + BOX_W / 2;
      const x2 = b.x + BOX_W / 2;
      const lift = 18 + ((b.x - a.x) / (BOX_W + GAP)) * 16;
      d = `M${x1} ${a.y} C${x1} ${a.y - lift}, ${x2} ${b.y - lift}, ${x2} ${b.y}`;
      lx = (x1 + x2) / 2;
      ly = a.y - lift * 0.75 - 2;
    } else {
      const x1 = from.x + BOX_W / 2;
      const x2 = to.x + BOX_W / 2;
      d = `M${x1} ${from.y + from.h} L${x2} ${to.y}`;
      lx = (x1 + x2) / 2;
      ly = (from.y + from.h + to.y) / 2;
    }
    root.append(svg("path", { d, class: dashed ? "edge dashed" : "edge" }));
    root.append(svg("text", { x: lx, y: ly, class: "edge-label", "text-anchor": "middle" }, clip(label, 34)));
  };
  for (const member of network.members || []) {
    const path = member.path || [];
    if (path.length >= 2) edge(personBoxes.get(path[path.length - 2]), personBoxes.get(path[path.length - 1]), member.relation);
  }
  for (const entry of network.addresses || []) {
    for (const resident of entry.residents || []) edge(personBoxes.get(resident), addressBoxes.get(entry.address.id), "lives here", true);
  }

  const box = (where, title, subtitle, flags, kind) => {
    const group = svg("g", { class: `node ${kind}${flags.some((f) => f.group === "officer_safety") ? " danger" : ""}` });
    group.append(svg("rect", { x: where.x, y: where.y, width: BOX_W, height: where.h, rx: 6 }));
    group.append(svg("text", { x: where.x + 10, y: where.y + 18, class: "node-title" }, clip(title)));
    group.append(svg("text", { x: where.x + 10, y: where.y + 34, class: "node-sub" }, clip(subtitle || "", 32)));
    flags.slice(0, 4).forEach((flag, i) => {
      const mark = flag.group === "officer_safety" ? "⚠ " : "• ";
      group.append(
        svg(
          "text",
          { x: where.x + 10, y: where.y + 52 + i * LINE, class: `node-flag sev-${flag.severity}` },
          clip(`${mark}${flag.category_label} (${flag.severity_label.toLowerCase()})`, 32),
        ),
      );
    });
    root.append(group);
  };
  for (const { person, relation } of people.values()) {
    const name = `${person.given_name} ${person.family_name}`.trim() || "Unnamed";
    box(personBoxes.get(person.id), name, relation, flagsOf.get(person.id) || [], "person");
  }
  for (const address of addresses) {
    const where = [address.town, address.postcode].filter(Boolean).join(" ");
    box(addressBoxes.get(address.id), address.line1, where, flagsOf.get(address.id) || [], "address");
  }
  return root;
}
