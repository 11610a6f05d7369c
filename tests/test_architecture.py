"""The house rules of docs/architecture.md, checked on the source text (nothing is imported).

- Library packages never import Kedro; only the Kedro shell does (pipelines, the registry, the
  settings, the catalog's dataset types and the entry points).
- Every `*.md` path named in src/, conf/, the README and docs/ exists, and every link into a
  page's section finds its heading.
- The pages' other references (repository paths, `rmfer.` modules) name things that exist.
- No module in src/ grows past 400 lines.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "rmfer"

# The Kedro shell: the only code that may import kedro (docs/architecture.md). The catalog's
# dataset types live in `kedro_datasets/` (formerly `datasets/`; either name is accepted).
SHELL_FOLDERS = ("pipelines", "kedro_datasets", "datasets")
SHELL_MODULES = ("pipeline_registry.py", "settings.py", "__main__.py", "cli.py")
KEDRO_ROOTS = ("kedro", "kedro_datasets", "kedro_viz", "kedro_telemetry")
# rmfer modules that belong to the shell, so library code must not reach up into them.
SHELL_IMPORTS = ("rmfer.pipelines", "rmfer.pipeline_registry", "rmfer.settings", "rmfer.cli")
SHELL_IMPORTS += ("rmfer.__main__", *(f"rmfer.{folder}" for folder in SHELL_FOLDERS[1:]))

MAX_MODULE_LINES = 400

# `.md` files the project writes rather than holds: the report evaluate writes, and anything
# under data/ (generated, git-ignored).
GENERATED_MD = {"report.md"}
MD_PATH = re.compile(r"[\w./<>{}*-]*\w\.md\b")
MD_LINK = re.compile(r"\]\(([^)\s#]+\.md)#([^)\s]+)\)")
REPO_PATH = re.compile(r"(?<![\w/.-])(?:src|conf|tests|benchmarks|notebooks)/[\w./<>{}*-]*")
MODULE_REFERENCE = re.compile(r"(?<![\w.])rmfer(?:\.[A-Za-z_]\w*)+")
PLACEHOLDER = re.compile(r"[<>{}*]")
FORMAT_NAME = re.compile(r"\.v\d+$")  # checkpoint format names such as rmfer.not_trained.v1


def python_modules() -> Iterator[Path]:
    yield from sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def is_shell(module: Path) -> bool:
    relative = module.relative_to(PACKAGE)
    if len(relative.parts) == 1:
        return relative.name in SHELL_MODULES
    return relative.parts[0] in SHELL_FOLDERS


def imported_names(module: Path) -> Iterator[tuple[int, str]]:
    """Every absolute module name `module` imports, at any depth (lazy imports included)."""
    tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module",)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def where(path: Path, line: int | None = None) -> str:
    name = str(path.relative_to(ROOT))
    return f"{name}:{line}" if line is not None else name


# Library code never imports kedro --------------------------------------------------------------


def test_the_shell_exists_where_the_rule_says():
    """Guards the rule itself: a renamed shell folder must be renamed here too."""
    assert (PACKAGE / "pipelines").is_dir()
    assert any((PACKAGE / folder).is_dir() for folder in SHELL_FOLDERS[1:])
    library = [m for m in python_modules() if not is_shell(m)]
    assert len(library) > 50, "the library should be most of the package"


def test_library_packages_never_import_kedro():
    offenders = [
        f"{where(module, line)} imports {name}"
        for module in python_modules()
        if not is_shell(module)
        for line, name in imported_names(module)
        if name.split(".")[0] in KEDRO_ROOTS
    ]
    assert not offenders, "library code must not import kedro:\n" + "\n".join(offenders)


def test_library_packages_never_import_the_shell():
    offenders = [
        f"{where(module, line)} imports {name}"
        for module in python_modules()
        if not is_shell(module)
        for line, name in imported_names(module)
        if any(name == shell or name.startswith(f"{shell}.") for shell in SHELL_IMPORTS)
    ]
    assert not offenders, "imports must not run back up into the shell:\n" + "\n".join(offenders)


# Every .md path named in the repository exists ---------------------------------------------------


def citing_files() -> Iterator[Path]:
    """The files whose references must resolve: src/, conf/, the README and docs/."""
    for path in sorted((ROOT / "src").rglob("*")):
        skipped = any(part.endswith(".egg-info") or part == "__pycache__" for part in path.parts)
        if path.is_file() and path.suffix in (".py", ".md", ".yml", ".yaml") and not skipped:
            yield path
    yield from sorted(p for p in (ROOT / "conf").rglob("*") if p.suffix in (".yml", ".yaml"))
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").rglob("*.md"))


def documentation_files() -> Iterator[Path]:
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").rglob("*.md"))


def resolve(reference: str, citing: Path) -> Path | None:
    """The file a path names, relative to the repository root or to the citing file's folder."""
    for base in (ROOT, citing.parent):
        candidate = (base / reference).resolve()
        if candidate.exists():
            return candidate
    return None


def is_generated(reference: str) -> bool:
    return reference.startswith("data/") or Path(reference).name in GENERATED_MD


def lines_of(path: Path) -> Iterator[tuple[int, str]]:
    yield from enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)


def test_docs_folder_has_the_pages_the_code_cites():
    for page in ("method.md", "data-formats.md", "architecture.md"):
        assert (ROOT / "docs" / page).is_file(), page
    stages = {p.stem for p in (ROOT / "docs" / "stages").glob("*.md")}
    assert {"synth", "collect", "facetrack", "ial", "acl", "evaluate", "predict"} <= stages


def test_every_md_path_named_in_src_conf_readme_and_docs_exists():
    missing = []
    for path in citing_files():
        for line, text in lines_of(path):
            for reference in MD_PATH.findall(text):
                if PLACEHOLDER.search(reference) or is_generated(reference):
                    continue
                if resolve(reference, path) is None:
                    missing.append(f"{where(path, line)}: {reference}")
    assert not missing, "these .md paths name no file in the repository:\n" + "\n".join(missing)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    in_code = False
    found = set()
    for _, text in lines_of(page):
        if text.startswith("```"):
            in_code = not in_code
        elif not in_code and text.startswith("#"):
            found.add(slug(text.lstrip("#")))
    return found


def test_every_link_to_a_section_finds_its_heading():
    broken = []
    for path in documentation_files():
        for line, text in lines_of(path):
            for reference, anchor in MD_LINK.findall(text):
                target = resolve(reference, path)
                if target is not None and anchor not in anchors(target):
                    broken.append(f"{where(path, line)}: {reference}#{anchor}")
    assert not broken, "links to headings that do not exist:\n" + "\n".join(broken)


# The pages' other references resolve -------------------------------------------------------------


def test_every_repository_path_named_in_the_readme_and_docs_exists():
    missing = []
    for path in documentation_files():
        for line, text in lines_of(path):
            for reference in REPO_PATH.findall(text):
                reference = reference.rstrip(".,;:")
                if PLACEHOLDER.search(reference) or not reference.strip("/"):
                    continue
                if not (ROOT / reference).exists():
                    missing.append(f"{where(path, line)}: {reference}")
    assert not missing, "these paths name nothing in the repository:\n" + "\n".join(missing)


def module_file(parts: list[str]) -> Path | None:
    folder = ROOT / "src" / Path(*parts)
    for candidate in (folder.with_suffix(".py"), folder / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def reference_resolves(reference: str) -> bool:
    """`rmfer.a.b` is a module, or a module followed by a name that module defines or imports."""
    parts = reference.split(".")
    for size in range(len(parts), 1, -1):
        found = module_file(parts[:size])
        if found is not None:
            rest = parts[size:]
            if not rest:
                return True
            return re.search(rf"\b{re.escape(rest[0])}\b", found.read_text()) is not None
    return False


def test_every_rmfer_module_named_in_the_readme_docs_and_conf_exists():
    missing = []
    sources = [*documentation_files(), *sorted((ROOT / "conf").rglob("*.yml"))]
    for path in sources:
        for line, text in lines_of(path):
            for reference in MODULE_REFERENCE.findall(text):
                if FORMAT_NAME.search(reference):
                    continue
                if not reference_resolves(reference):
                    missing.append(f"{where(path, line)}: {reference}")
    assert not missing, "these rmfer names resolve to no module:\n" + "\n".join(missing)


# Module size ----------------------------------------------------------------------------------


def test_no_module_in_src_is_over_400_lines():
    long = [
        f"{where(module)}: {count} lines"
        for module in python_modules()
        if (count := len(module.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, "modules over 400 lines (split them by job):\n" + "\n".join(long)
