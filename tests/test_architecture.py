"""The layout docs/architecture.md describes, checked on the code itself (issue 14).

Imports run one way (routes → realtime → domain → models), the domain has no HTTP, nobody but
`realtime/` talks to the bus, no file imports itself back through others, and no module in `app/` grows
into a grab-bag again. Read from the source with `ast`: nothing is imported or run.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
MAX_LINES = 350


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(APP.rglob("*.py"))}


def _imports(path: Path, name: str) -> set[str]:
    """Every module this file imports (at any depth, also inside functions), as dotted names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _app_imports() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {m for m in _imports(path, name) if m in modules and m != name}
    return graph


def test_no_module_in_app_is_a_grab_bag():
    long = {str(p.relative_to(APP.parent)): n for p in APP.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"files over {MAX_LINES} lines: {long}"


def test_every_module_says_what_it_is_for():
    missing = [str(p.relative_to(APP.parent)) for p in APP.rglob("*.py")
               if p.stat().st_size and ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing, f"modules without an opening docstring: {missing}"


def test_the_domain_knows_no_http_and_no_sockets():
    offenders = {}
    for name, path in _modules().items():
        if name.startswith(("app.domain", "app.reports")):
            bad = sorted(m for m in _imports(path, name)
                         if m.split(".")[0] in {"fastapi", "starlette", "uvicorn", "websockets"}
                         or m.startswith(("app.routes", "app.realtime", "app.main", "app.pages", "app.web")))
            if bad:
                offenders[name] = bad
    assert not offenders, offenders


def test_only_realtime_talks_to_the_bus():
    offenders = {name: "app.realtime.bus" for name, deps in _app_imports().items()
                 if "app.realtime.bus" in deps and not name.startswith(("app.realtime", "app.main", "app.cli"))}
    assert not offenders, f"modules that use the bus directly: {offenders}"


def test_layers_import_downwards_only():
    """routes may use realtime, reports and domain; realtime and reports may use domain; domain never uses them."""
    order = {"app.routes": 3, "app.realtime": 2, "app.reports": 2, "app.domain": 1}

    def layer(module: str) -> int | None:
        return next((rank for prefix, rank in order.items() if module == prefix or module.startswith(prefix + ".")), None)

    upward = []
    for name, deps in _app_imports().items():
        mine = layer(name)
        if mine is None:
            continue
        upward += [f"{name} → {dep}" for dep in deps if (theirs := layer(dep)) is not None and theirs > mine]
    assert not upward, upward


def test_no_import_cycles():
    graph = _app_imports()
    # A package's __init__ that only hands names on would make every child look cyclic: skip the edge
    # from a module to its own package.
    for name in graph:
        graph[name] = {d for d in graph[name] if not name.startswith(d + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, " | ".join(" → ".join(c) for c in cycles)
