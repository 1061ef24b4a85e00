"""Generated junk through the real command line (issue 17, item 2; hypothesis).

convert, train --resume, embed, cluster and evaluate are given random bytes,
truncated files, run files with one field replaced by a value of the wrong
JSON type, and brackets and Unicode in every path and name. Each must exit 1
or 2 with one line on stderr, no traceback, and leave no file under a final
name (nor a temporary). In process, through Typer's CliRunner; the examples
are bounded so that the whole file runs in well under a minute.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mocap_cli.app import app

runner = CliRunner()

TINY = ["--source-length", "10", "--target-length", "5", "--batch-size", "8", "--hidden-size"]
TINY += ["8", "--steps", "2", "--checkpoint-every", "2", "--no-monitor"]

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Names with brackets (rich markup: "[/b]" closes a tag never opened), Unicode and
# spaces; the "/" makes "[x" a folder, as in a user's `-o 'cl[/x]'`.
names = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
        min_size=1,
        max_size=12,
    )
    .map(lambda text: f"[{text}]x[/b]")
    .filter(lambda name: len(name.encode()) < 200)
)
junk_bytes = st.binary(min_size=0, max_size=2048)


def refused(args: list[object]) -> str:
    """Run `mocap ARGS`: exit 1 or 2, one line on stderr, no traceback."""
    result = runner.invoke(app, [str(arg) for arg in args])
    assert result.exit_code in (1, 2), (args, result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def no_temporaries(folder: Path) -> None:
    assert not [path for path in folder.rglob("*") if ".partial" in path.name]


@pytest.fixture(scope="module")
def made(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny run, its embedding and a clustering of it."""
    folder = tmp_path_factory.mktemp("junk")
    run = folder / "run"
    for args in (
        ["train", "--trial", "01", *TINY, "-o", run, "--data-dir", data_dir],
        ["embed", run, "--data-dir", data_dir],
        ["cluster", run / "embedding.h5", "--k", "3", "-o", folder / "clustering"],
    ):
        result = runner.invoke(app, [str(arg) for arg in args])
        assert result.exit_code == 0, result.output
    return {"run": run, "clustering": folder / "clustering", "data_dir": data_dir}


# ----------------------------------------------------------------------------- JSON fields


def leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every field of a JSON document (lists count as one field)."""
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in leaves(item, (*path, key))]
    return [path] if path else []


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def replaced(document: Any, path: tuple, value: Any) -> Any:
    copy = json.loads(json.dumps(document))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def run_file_fields(made: dict[str, Path]) -> list[tuple[str, tuple]]:
    run = made["run"]
    return [
        (name, path)
        for name in ("config.json", "checkpoint.json", "history.json", "normalization.json")
        for path in leaves(json.loads((run / name).read_text()))
    ]


@pytest.fixture(scope="module")
def fields(made: dict[str, Path]) -> list[tuple[str, tuple]]:
    return run_file_fields(made)


@SETTINGS
@given(data=st.data())
def test_resume_refuses_a_run_file_field_of_the_wrong_type(
    made: dict[str, Path], fields: list[tuple[str, tuple]], data: st.DataObject
) -> None:
    name, path = data.draw(st.sampled_from(fields), label="field")
    original = json.loads((made["run"] / name).read_text())
    old = original
    for key in path:
        old = old[key]
    value = data.draw(json_values.filter(lambda v: kind(v) != kind(old)), label="value")
    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder) / data.draw(names, label="run name")
        shutil.copytree(made["run"], run)
        (run / name).write_text(json.dumps(replaced(original, path, value)))
        before = files_under(run)
        refused(["train", "--resume", run, "--steps", "4", "--data-dir", made["data_dir"]])
        assert files_under(run) == before  # nothing rewritten, nothing added
        no_temporaries(Path(folder))


@SETTINGS
@given(data=st.data())
def test_evaluate_refuses_a_clustering_field_of_the_wrong_type(
    made: dict[str, Path], data: st.DataObject
) -> None:
    original = json.loads((made["clustering"] / "clustering.json").read_text())
    read_back = ["embedding", "method", "k_mode", "sequence", "paper_protocol"]
    key = data.draw(st.sampled_from(read_back), label="field")
    value = data.draw(
        json_values.filter(lambda v: kind(v) != kind(original[key]) and v is not None),
        label="value",
    )
    with tempfile.TemporaryDirectory() as folder:
        clustering = Path(folder) / data.draw(names, label="folder name")
        shutil.copytree(made["clustering"], clustering)
        (clustering / "clustering.json").write_text(json.dumps(replaced(original, (key,), value)))
        before = files_under(clustering)
        refused(["evaluate", clustering])
        assert files_under(clustering) == before


# ----------------------------------------------------------------------------- bad files


def junk_file(data: st.DataObject, folder: Path, good: Path | None, suffix: str) -> Path:
    """Random bytes, or a truncated copy of ``good``, under a generated name."""
    path = folder / (data.draw(names, label="file name") + suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    if good is not None and data.draw(st.booleans(), label="truncated"):
        content = good.read_bytes()
        # Not only the last line break: without it a text file is still whole.
        cut = data.draw(st.integers(0, len(content) - 2), label="cut")
        path.write_bytes(content[:cut])
    else:
        path.write_bytes(data.draw(junk_bytes, label="bytes"))
    return path


BVH_HEAD = (
    "HIERARCHY\nROOT hips\n{\n  OFFSET 0 0 0\n  CHANNELS 6 Xposition Yposition Zposition "
    "Zrotation Xrotation Yrotation\n  End Site\n  {\n    OFFSET 0 1 0\n  }\n}\nMOTION\n"
    "Frames: 3\nFrame Time: 0.01\n1 2 3 4 5 6\n1 2 3 4 5 6\n1 2 3 4 5 6\n"
)


@SETTINGS
@given(data=st.data(), suffix=st.sampled_from([".bvh", ".amc", ".txt"]))
def test_convert_refuses_junk(data: st.DataObject, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        good = Path(folder) / "good.bvh"
        good.write_text(BVH_HEAD)
        source = junk_file(data, Path(folder), good if suffix == ".bvh" else None, suffix)
        good.unlink()
        output = Path(folder) / ("out" + data.draw(names, label="output") + ".h5")
        refused(["convert", source, "-o", output])
        assert not output.exists()
        no_temporaries(Path(folder))


@SETTINGS
@given(data=st.data())
def test_embed_refuses_a_junk_data_file(made: dict[str, Path], data: st.DataObject) -> None:
    from mocap_seq2seq.data.store import SUBJECT86_FILE

    with tempfile.TemporaryDirectory() as folder:
        source = junk_file(data, Path(folder), made["data_dir"] / SUBJECT86_FILE, ".h5")
        output = Path(folder) / ("out" + data.draw(names, label="output") + ".h5")
        refused(["embed", made["run"], "--data", source, "-o", output])
        assert not output.exists()
        no_temporaries(Path(folder))


@SETTINGS
@given(data=st.data())
def test_cluster_refuses_a_junk_embedding(made: dict[str, Path], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = junk_file(data, Path(folder), made["run"] / "embedding.h5", ".h5")
        output = Path(folder) / ("out" + data.draw(names, label="output"))
        refused(["cluster", source, "--k", "3", "-o", output])
        assert not output.exists()
        no_temporaries(Path(folder))
