"""The shape of the code, read from its imports (docs/architecture.md, "The rooms").

Every import in ``app/`` and ``tasks/`` is read with :mod:`ast`, including imports inside
functions, because an import moved into a function to dodge a circle is still a dependency.
The rules:

- the rooms are layered (``LAYERS``): a room may import its own modules and rooms of a lower
  layer, never a room of its own layer or a higher one;
- no two modules import each other, directly or round a longer circle;
- ``core`` imports no room and not ``tasks``; ``notifications`` imports nothing but ``core``;
- a lead's history (``LeadEvent``) is constructed only inside ``app/leads``;
- no module imports the private (underscored) names of a route or page module, or of a
  module in another package (modules of one package, such as the parser's, may share theirs).

``KNOWN`` lists the departures that are still being untangled; each entry must still be a
departure (a fixed one must be removed from the list) so the list can only shrink.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lower number = lower layer. Rooms on one layer may not import each other.
LAYERS: dict[str, int] = {
    "core": 0,
    "settings": 1,
    "audit": 1,
    "notifications": 1,
    "accounts": 2,
    "leads": 3,
    "routing": 4,
    "wechat": 5,
    "listings": 6,
    "reports": 7,
    "privacy": 7,
    "web": 8,
    "workspace": 9,
    "admin": 9,
    "devtools": 9,
    # app/__init__.py (the factory), app/cli.py, app/demo.py, app/doctor.py … and tasks/
    "app": 10,
    "tasks": 11,
}

# Departures still to be untangled: "importer -> imported" (module names). Must only shrink;
# it is empty now, and a new departure is fixed, not listed.
KNOWN: set[str] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    paths = [*(ROOT / "app").rglob("*.py"), *(ROOT / "tasks").rglob("*.py")]
    return {_module_name(p): p for p in paths}


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every app/tasks import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, list[str], int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("app", "tasks"):
                    found.append((alias.name, [], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] not in ("app", "tasks"):
                continue
            plain: list[str] = []
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:  # `from app.x import module`
                    found.append((sub, [], node.lineno))
                else:
                    plain.append(alias.name)
            if plain:
                found.append((target, plain, node.lineno))
    return found


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def room(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "tasks":
        return "tasks"
    if len(parts) > 1 and (ROOT / "app" / parts[1]).is_dir():
        return parts[1]
    return "app"


def _departures() -> dict[str, str]:
    """Every import that breaks a rule, as "importer -> imported": why."""
    out: dict[str, str] = {}
    for importer, imports in IMPORTS.items():
        mine = room(importer)
        for target, names, line in imports:
            theirs = room(target)
            edge = f"{importer} -> {target}"
            where = f"{MODULES[importer].relative_to(ROOT)}:{line}"
            if theirs != mine:
                if theirs not in LAYERS or mine not in LAYERS:
                    out[edge] = f"{where}: room without a layer ({mine} or {theirs})"
                elif LAYERS[theirs] >= LAYERS[mine]:
                    out[edge] = (
                        f"{where}: {mine} (layer {LAYERS[mine]}) imports {theirs} "
                        f"(layer {LAYERS[theirs]})"
                    )
                elif mine == "notifications" and theirs != "core":
                    out[edge] = f"{where}: notifications imports a domain ({theirs})"
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            same_package = importer.rpartition(".")[0] == target.rpartition(".")[0] or (
                importer == target.rpartition(".")[0]  # a package's __init__ and its modules
            )
            route_module = target.rpartition(".")[2] in ("routes", "pages") or target.endswith(
                ("_routes", "_pages")
            )
            if private and target != importer and (route_module or not same_package):
                out[f"{edge} private"] = f"{where}: imports private names {private}"
    return out


def _cycles() -> list[list[str]]:
    graph = {
        m: {t for t, _, _ in imports if t in MODULES and t != m} for m, imports in IMPORTS.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_every_room_has_a_layer() -> None:
    rooms = {room(m) for m in MODULES}
    assert rooms <= set(LAYERS), f"rooms without a layer: {sorted(rooms - set(LAYERS))}"


def test_no_import_breaks_the_layers() -> None:
    departures = _departures()
    new = {edge: why for edge, why in departures.items() if edge not in KNOWN}
    assert not new, "imports that break the layers:\n" + "\n".join(sorted(new.values()))


def test_known_departures_are_still_departures() -> None:
    imports = {edge for edge in KNOWN if not edge.startswith(("cycle ", "LeadEvent "))}
    stale = imports - set(_departures())
    assert not stale, f"fixed departures still listed in KNOWN, remove them: {sorted(stale)}"


def test_no_import_circle() -> None:
    cycles = _cycles()
    known_cycles = {edge for edge in KNOWN if edge.startswith("cycle ")}
    names = {f"cycle {' '.join(c)}" for c in cycles}
    new = sorted(names - known_cycles)
    assert not new, f"import circles: {new}"
    stale = sorted(known_cycles - names)
    assert not stale, f"broken circles still listed in KNOWN, remove them: {stale}"


def test_lead_history_has_one_writer() -> None:
    writers: dict[str, list[int]] = defaultdict(list)
    for name, path in MODULES.items():
        if room(name) == "leads":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
                == "LeadEvent"
            ):
                writers[str(path.relative_to(ROOT))].append(node.lineno)
    known = {edge.removeprefix("LeadEvent ") for edge in KNOWN if edge.startswith("LeadEvent ")}
    new = {p: lines for p, lines in writers.items() if p not in known}
    assert not new, f"LeadEvent constructed outside app/leads: {new}"
    stale = known - set(writers)
    assert not stale, f"fixed LeadEvent writers still listed in KNOWN: {sorted(stale)}"


def test_the_design_is_cited_from_the_repository() -> None:
    """Code cites docs/ pages, not a spec a reader of the repository cannot open."""
    citing = [
        str(p.relative_to(ROOT))
        for folder in ("app", "tasks", "config", "bench", "tests", "migrations")
        for p in (ROOT / folder).rglob("*.py")
        if "SPEC §" in p.read_text(encoding="utf-8") and p != Path(__file__)
    ]
    assert not citing, f"files citing 'SPEC §' instead of docs/: {citing}"
