"""A study folder is never mixed or half-trusted on resume.

Each part file says what it holds (study, root seed, point and its scenario
hash, chunk, replications) and is checked against ``manifest.json`` and its own
name whenever the folder is read. A hand-edited manifest, a part copied from
another study, a duplicated, renamed, truncated or rewritten part: each is
refused with exit 2 and a message naming the file -- never merged, never a
traceback -- and the results already in the folder are left as they were.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from sim.errors import UsageError
from sim.experiments import run_batch
from sim.experiments.runner.parts import PART_KEY

REPO = Path(__file__).resolve().parents[1]
SMALL = str(REPO / "scenarios" / "small_team.yaml")
REPS = 4
KINDS = ("kpis", "weekly", "reps")


def cli(capsys, *argv) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def batch_argv(out: Path, *extra) -> list:
    return ["batch", SMALL, "--reps", REPS, "--weeks", "2", "--workers", "1", "--quiet", "--out", out, *extra]


def make_study(capsys, out: Path, *extra) -> Path:
    rc, _, err = cli(capsys, *batch_argv(out, "--chunk-size", "1", *extra))
    assert rc == 0, err
    return out


@pytest.fixture
def study(tmp_path, capsys) -> Path:
    """A finished 4-replication batch, one replication per chunk (seed 1)."""
    return make_study(capsys, tmp_path / "study")


def part(out: Path, chunk: int, kind: str = "kpis", point: int = 0) -> Path:
    return out / "parts" / f"p{point:05d}-c{chunk:06d}.{kind}.parquet"


def drop_chunk(out: Path, chunk: int) -> None:
    for kind in KINDS:
        part(out, chunk, kind).unlink(missing_ok=True)


def edit_manifest(out: Path, **changes) -> None:
    path = out / "manifest.json"
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def refused(capsys, out: Path, named: Path | str, *extra) -> str:
    """Resume the study: exit 2, one message naming ``named``, nothing rewritten."""
    before = (out / "replications.parquet").read_bytes()
    rc, stdout, err = cli(capsys, *batch_argv(out, "--resume", *extra))
    assert rc == 2, (stdout, err)
    assert str(named) in err, err
    assert "Traceback" not in err and err.startswith("salesim: error:"), err
    assert (out / "replications.parquet").read_bytes() == before  # the finished results are kept as they were
    return err


# --------------------------------------------------------------------------- the parts say what they hold


def test_each_part_carries_its_identity(study):
    manifest = json.loads((study / "manifest.json").read_text())
    for chunk in range(REPS):
        for kind in KINDS:
            meta = json.loads(pq.read_schema(part(study, chunk, kind)).metadata[PART_KEY])
            assert meta["kind"] == kind and meta["point"] == 0 and meta["chunk"] == chunk
            assert meta["replications"] == [chunk]
            assert meta["root_seed"] == 1 and meta["salesim_version"] == manifest["salesim_version"]
            assert meta["scenario_hash"] == manifest["points"][0]["scenario_hash"]
            assert len(meta["study"]) == 64 and meta["identity"]["chunk_size"] == 1


def test_an_untouched_study_resumes_to_the_same_results(study, capsys):
    before = pd.read_parquet(study / "replications.parquet")
    drop_chunk(study, 2)
    rc, _, err = cli(capsys, *batch_argv(study, "--resume"))
    assert rc == 0, err
    after = pd.read_parquet(study / "replications.parquet")
    pdt.assert_frame_equal(after.drop(columns="runtime_s"), before.drop(columns="runtime_s"))


# --------------------------------------------------------------------------- a hand-edited manifest


def test_chunk_size_edited_in_the_manifest_is_refused(study, capsys):
    drop_chunk(study, 2)
    drop_chunk(study, 3)
    edit_manifest(study, chunk_size=2)
    err = refused(capsys, study, part(study, 0))  # the first part no longer fits the manifest
    assert "chunk_size" in err and "manifest.json" in err
    # the same command as before (--chunk-size 1) is refused by the manifest itself
    err = refused(capsys, study, study / "manifest.json", "--chunk-size", "1")
    assert "chunk_size: folder has 2, this study 1" in err


@pytest.mark.parametrize("changes", [{"chunk_size": 0}, {"chunk_size": -3}, {"chunk_size": 1.5},
                                     {"chunk_size": "1"}, {"chunk_size": True}, {"chunk_size": None},
                                     {"reps": 0}, {"reps": "4"}, {"root_seed": -1}, {"weekly": "yes"},
                                     {"points": "all"}, {"points": [{"point": 0}]}])
def test_impossible_manifest_values_are_refused(study, capsys, changes):
    drop_chunk(study, 3)
    edit_manifest(study, **changes)
    err = refused(capsys, study, study / "manifest.json")
    assert next(iter(changes)) in err


@pytest.mark.parametrize("text", ["[1, 2]", "{\"format\": \"salesim-study\"}", "{not json", ""])
def test_a_manifest_that_is_not_a_study_manifest_is_refused(study, capsys, text):
    (study / "manifest.json").write_text(text)
    refused(capsys, study, "manifest.json")


def test_chunk_size_missing_from_the_manifest_is_refused(study, capsys):
    data = json.loads((study / "manifest.json").read_text())
    del data["chunk_size"]
    (study / "manifest.json").write_text(json.dumps(data))
    err = refused(capsys, study, study / "manifest.json")
    assert "chunk_size" in err


# --------------------------------------------------------------------------- parts that do not belong


def test_a_part_from_another_root_seed_is_refused(study, tmp_path, capsys):
    other = make_study(capsys, tmp_path / "other", "--seed", "2")
    drop_chunk(study, 1)
    for kind in KINDS:
        shutil.copy(part(other, 1, kind), part(study, 1, kind))
    err = refused(capsys, study, part(study, 1))
    assert "root_seed" in err


def test_a_duplicated_part_is_refused(study, capsys):
    copy = study / "parts" / "copy of p00000-c000000.kpis.parquet"
    shutil.copy(part(study, 0), copy)
    refused(capsys, study, copy)


def test_a_part_copied_to_a_chunk_beyond_the_study_is_refused(study, capsys):
    shutil.copy(part(study, 0), part(study, REPS))
    refused(capsys, study, part(study, REPS))


def test_a_part_renamed_to_another_chunk_is_refused(study, capsys):
    drop_chunk(study, 3)
    for kind in KINDS:
        part(study, 0, kind).rename(part(study, 3, kind))
    err = refused(capsys, study, part(study, 3))
    assert "chunk" in err


@pytest.mark.parametrize("kind", KINDS)
def test_a_truncated_part_is_refused_and_deleting_it_recomputes_it(study, capsys, kind):
    before = pd.read_parquet(study / "replications.parquet")
    path = part(study, 2, kind)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    err = refused(capsys, study, path)
    assert "delete" in err
    for k in KINDS:  # as the message says: delete the chunk's files, then resume
        part(study, 2, k).unlink()
    rc, _, err = cli(capsys, *batch_argv(study, "--resume"))
    assert rc == 0, err
    after = pd.read_parquet(study / "replications.parquet")
    pdt.assert_frame_equal(after.drop(columns="runtime_s"), before.drop(columns="runtime_s"))


def test_an_empty_part_is_refused(study, capsys):
    part(study, 1).write_bytes(b"")
    refused(capsys, study, part(study, 1))


def test_a_part_without_metadata_is_refused(study, capsys):
    path = part(study, 1)
    pd.read_parquet(path).to_parquet(path, index=False)  # same rows, written by another program
    err = refused(capsys, study, path)
    assert "metadata" in err


def test_a_part_whose_rows_disagree_with_its_metadata_is_refused(study, capsys):
    path = part(study, 1)
    table = pq.read_table(path)
    reps = pa.array([0] * table.num_rows, type=table.schema.field("rep").type)
    pq.write_table(table.set_column(table.schema.get_field_index("rep"), "rep", reps), path)
    err = refused(capsys, study, path)
    assert "has rows of replication(s) 0, but its metadata says 1" in err


def test_a_stray_weekly_part_of_another_chunk_is_refused(study, capsys):
    shutil.copy(part(study, 0, "weekly"), part(study, 1, "weekly"))
    refused(capsys, study, part(study, 1, "weekly"))


def test_the_python_api_raises_a_usage_error_naming_the_file(study):
    shutil.copy(part(study, 0), part(study, 1))
    with pytest.raises(UsageError, match="p00000-c000001.kpis.parquet"):
        run_batch(SMALL, REPS, weeks=2, workers=1, out=study, resume=True, progress=False)


def test_a_chunk_missing_one_of_its_parts_is_refused(study, capsys):
    part(study, 1, "weekly").unlink()  # its KPI part says the chunk has a weekly part
    err = refused(capsys, study, part(study, 1))
    assert "weekly part" in err and "missing" in err


def test_a_chunk_size_asked_for_on_resume_must_match_the_folder(study, capsys):
    drop_chunk(study, 3)
    err = refused(capsys, study, study / "manifest.json", "--chunk-size", "2")
    assert "chunk_size: folder has 1, this study 2" in err


def test_a_part_from_a_study_of_another_horizon_is_refused(study, tmp_path, capsys):
    rc, _, err = cli(capsys, "batch", SMALL, "--reps", REPS, "--weeks", "3", "--workers", "1", "--quiet",
                     "--chunk-size", "1", "--out", tmp_path / "longer")
    assert rc == 0, err
    shutil.copy(part(tmp_path / "longer", 2), part(study, 2))
    err = refused(capsys, study, part(study, 2))
    assert "horizon_weeks: the part says 3.0, manifest.json 2.0" in err


def test_a_study_failing_before_its_first_chunk_removes_only_what_it_wrote(tmp_path):
    """A folder that looked empty (only hidden entries, such as a user's ``.git``)
    keeps every entry it had when the study that started in it fails early."""
    from sim.experiments.runner.store import FolderStore

    out = tmp_path / "study"
    (out / ".git").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / ".keep").write_text("")
    store = FolderStore(out)
    store.open({"format": "salesim-study", "format_version": 2, "kind": "batch", "root_seed": 1, "reps": 2,
                "chunk_size": 1, "weekly": False, "points": [], "design": None})
    assert (out / "manifest.json").exists()
    store.discard_if_unused()
    assert sorted(p.name for p in out.iterdir()) == [".git", ".keep"]
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
