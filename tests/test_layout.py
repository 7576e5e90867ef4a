"""The tests are a map of the code: one test module (or a family `test_<module>_<aspect>.py`) per
source module, a short declared list of suites that follow a whole workflow across modules, shared
fixtures and helpers only in conftest.py, and no staff test signed in as a superuser."""

import ast
import pathlib
import re

TESTS = pathlib.Path(__file__).parent
ROOT = TESTS.parent

# Suites that exercise the product as a whole rather than one module; the README's Tests section
# names each one and why it is not a module's.
WHOLE_PRODUCT_SUITES = {
    "browser": "whole clerk and planner workflows in Chromium",
    "catalogue": "the README's bad-input catalogue, one test per row, across every door",
    "i18n": "every UI string translated, pages rendered per language",
    "layout": "this map",
    "schema_fuzz": "the API against its own OpenAPI schema",
}

# Modules with no behaviour of their own to test: configuration and wiring.
NOTHING_TO_TEST = {"__init__", "apps", "asgi", "wsgi", "context_processors", "urls"}


def source_modules():
    """Module names a test module may be named after: events/, its commands and template tags, settings."""
    names = set()
    for folder in ("events", "events/management/commands", "events/templatetags", "ascn_events"):
        names |= {path.stem for path in (ROOT / folder).glob("*.py")}
    # tests/test_commands.py holds the small management commands' tests.
    return (names - NOTHING_TO_TEST - {"settings_production"}) | {"commands"}


def names_of_test_modules():
    return sorted(path.stem.removeprefix("test_") for path in TESTS.glob("test_*.py"))


def subject_of(test_name, modules):
    """The longest source module name the test module is named for (`access_roles` -> `access`)."""
    candidates = [m for m in modules if test_name == m or test_name.startswith(m + "_")]
    return max(candidates, key=len, default=None)


def test_layout_every_test_module_is_named_for_a_source_module_or_a_declared_suite():
    modules = source_modules()
    strays = [
        name
        for name in names_of_test_modules()
        if name not in WHOLE_PRODUCT_SUITES and subject_of(name, modules) is None
    ]
    assert strays == []


def test_layout_every_source_module_has_a_test_module():
    modules = source_modules()
    tested = {subject_of(name, modules) for name in names_of_test_modules()}
    # A command is tested in tests/test_commands.py or in a module of its own name.
    commands = {path.stem for path in (ROOT / "events/management/commands").glob("*.py")} - NOTHING_TO_TEST
    commands_tested = set(ast_function_names(TESTS / "test_commands.py", prefix="test_"))
    untested = sorted(
        module
        for module in modules - tested
        if not (module in commands and any(name.startswith(f"test_{module}_") for name in commands_tested))
    )
    assert untested == []


def ast_function_names(path, *, prefix=None):
    tree = ast.parse(path.read_text())
    names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)]
    return [n for n in names if prefix is None or n.startswith(prefix)]


def test_layout_no_helper_or_fixture_is_defined_in_two_test_modules():
    """A helper written twice is a copy (it belongs in conftest.py); a fixture name used twice for
    different things misleads whoever reads a test (it gets another name)."""
    homes = {}
    for path in sorted(TESTS.glob("*.py")):
        for name in ast_function_names(path):
            if not name.startswith("test_"):
                homes.setdefault(name, []).append(path.name)
    assert {name: files for name, files in homes.items() if len(files) > 1} == {}


# Ways a test or fixture gets a superuser: our factory, Django's manager, pytest-django's fixtures.
SUPERUSER_MARKS = ("SuperuserFactory", "create_superuser", "is_superuser=True")
SUPERUSER_FIXTURES = {"admin_user", "admin_client"}


def superuser_offenders(path):
    """Functions (tests and fixtures) in `path` that get a superuser although their name is not about one."""
    text = path.read_text()
    offenders = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef) or "superuser" in node.name:
            continue
        source = ast.get_source_segment(text, node) or ""
        parameters = {arg.arg for arg in node.args.args}
        if any(mark in source for mark in SUPERUSER_MARKS) or parameters & SUPERUSER_FIXTURES:
            offenders.append(f"{path.name}::{node.name}")
    return offenders


def test_layout_no_staff_test_signs_in_as_a_superuser_unless_it_is_about_the_superuser(tmp_path):
    modules = [*sorted(TESTS.glob("test_*.py")), TESTS / "conftest.py"]
    assert [name for path in modules for name in superuser_offenders(path)] == []
    # The check sees each way in (a check that finds nothing could also be blind).
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "def test_a(admin_client): pass\n"
        "def staff(db): return SuperuserFactory()\n"
        "def test_b(django_user_model): django_user_model.objects.create_superuser('x')\n"
        "def test_superuser_sees_all(admin_client): pass\n"
    )
    assert superuser_offenders(sample) == ["test_sample.py::test_a", "test_sample.py::staff", "test_sample.py::test_b"]


def test_layout_every_file_the_readme_names_exists():
    """Moving a test or a module must move the README's pointer to it too."""
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"\b((?:tests|events|ascn_events|fixtures|deploy|loadtest)/[\w./-]+\.\w+)", readme))
    assert len(named) > 40
    assert sorted(path for path in named if not (ROOT / path).exists()) == []
