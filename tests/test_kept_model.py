"""Builds that update the previous build's model in place give the same site as a cold build."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import incremental
from generator.build import BuildResult
from generator.diagnostics import BuildFailed
from generator.writing import Manifest

from .conftest import build_into, copy_demo, make_site, record_rendered

HEBBIAN = "content/papers/hebbian-deep-learning-without-feedback.yaml"
RECORDS = [
    HEBBIAN,
    "content/papers/learning-ordinal-information-temporal-sequences.yaml",
    "content/papers/sample-as-you-infer.yaml",
    "content/papers/spikezip-tf.yaml",
    "content/papers/spikingssms.yaml",
]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


_clock = [0]


def _rewrite(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with a modification time later than any before, whatever the clock's resolution."""
    path.write_text(text, encoding="utf-8")
    _clock[0] += 1
    stamp = path.stat().st_mtime_ns + _clock[0] * 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def _set_line(site: Path, record: str, field: str, value: str) -> None:
    path = site / record
    text = path.read_text(encoding="utf-8")
    line = f"{field}: {value}"
    pattern = re.compile(rf"^{field}: .*$", re.M)
    _rewrite(path, pattern.sub(lambda _match: line, text, count=1) if pattern.search(text) else f"{line}\n{text}")


def _edit(site: Path, action: str, record: str, n: int) -> None:
    """Edit one YAML paper record, and nothing else."""
    if action == "retitle":
        _set_line(site, record, "title", f'"A Retitled Paper Number {n}"')
    elif action == "year":
        _set_line(site, record, "year", str(2000 + n))
    elif action == "abstract":
        path = site / record
        _rewrite(path, path.read_text(encoding="utf-8").replace("abstract: |-\n", f"abstract: |-\n  Edited {n}.\n", 1))
    elif action == "venue":
        _set_line(site, record, "venue", ["NeurIPS", "ICML", "A Workshop on Things", "ICLR"][n % 4])
    elif action == "author":
        path = site / record
        _rewrite(path, path.read_text(encoding="utf-8").replace("authors:\n", f"authors:\n  - Nova Writer{n}\n", 1))
    elif action == "clash":
        # The title of another paper: the two slugs clash.
        _set_line(site, record, "title", '"Hebbian Deep Learning Without Feedback"')
    elif action == "merge":
        # The citation key of an entry of the .bib file: the two merge.
        _set_line(site, record, "key", "wei2022devfly")


def _cold(site: Path, target: Path) -> Path:
    shutil.copytree(site, target, ignore=shutil.ignore_patterns("_site", "._site*", ".bibfolio-trash-*"))
    build_into(target, target / "_site", jobs=1)
    return target / "_site"


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["retitle", "year", "abstract", "venue", "author", "clash", "merge"]),
            st.sampled_from(RECORDS),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_edits_applied_in_place_equal_cold_build(edits: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        site = copy_demo(root)
        build_into(site, site / "_site", jobs=1)
        for n, (action, record) in enumerate(edits):
            _edit(site, action, record, n)
            build_into(site, site / "_site", jobs=1)
            assert _tree(site / "_site") == _tree(_cold(site, root / f"cold{n}")), f"after {edits[: n + 1]}"


def test_title_edit_keeps_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    rendered = record_rendered(monkeypatch)
    _edit(site, "retitle", HEBBIAN, 1)
    result = build_into(site, site / "_site", jobs=1)

    assert result.model_kept
    assert "papers/a-retitled-paper-number-1/index.html" in rendered
    assert "papers/index.html" in rendered
    assert "authors/adrien-journe/index.html" in rendered
    assert "authors/index.html" not in rendered
    assert "papers/spikezip-tf-conversion-is-all-you-need-for-transformer-based-snn/index.html" not in rendered
    assert not (site / "_site/papers/hebbian-deep-learning-without-feedback").exists()
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))


def test_later_edits_replay_earlier_ones(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    for n, (action, record) in enumerate([("retitle", HEBBIAN), ("year", RECORDS[3]), ("abstract", HEBBIAN)]):
        _edit(site, action, record, n)
        assert build_into(site, site / "_site", jobs=1).model_kept
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))


def test_long_history_writes_new_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(incremental, "_MAX_HISTORY", 1)
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    base = site / "._site.bibfolio/model.pickle"
    first = base.read_bytes()
    _edit(site, "retitle", HEBBIAN, 1)
    assert build_into(site, site / "_site", jobs=1).model_kept
    assert base.read_bytes() == first
    _edit(site, "year", HEBBIAN, 2)
    assert build_into(site, site / "_site", jobs=1).model_kept
    assert base.read_bytes() != first
    _edit(site, "abstract", HEBBIAN, 3)
    assert build_into(site, site / "_site", jobs=1).model_kept
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))


@pytest.mark.parametrize("action", ["author", "clash", "merge"])
def test_edits_that_change_other_papers_load_everything(tmp_path: Path, action: str) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    _edit(site, action, RECORDS[3], 1)
    result = build_into(site, site / "_site", jobs=1)
    assert not result.model_kept
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))


def test_bib_edit_loads_everything(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    bib = site / "content/bib/guo.bib"
    _rewrite(bib, bib.read_text(encoding="utf-8").replace("Efference Copies", "Efference Copies, Revisited"))
    assert not build_into(site, site / "_site", jobs=1).model_kept


def test_damaged_model_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    base = site / "._site.bibfolio/model.pickle"
    data = bytearray(base.read_bytes())
    data[-10] ^= 1
    base.write_bytes(bytes(data))
    _edit(site, "retitle", HEBBIAN, 1)
    with caplog.at_level(logging.WARNING):
        result = build_into(site, site / "_site", jobs=1)
    assert not result.model_kept
    assert "signature does not match" in caplog.text
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))


def test_model_of_other_output_is_ignored(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    path = site / "._site.bibfolio/manifest"
    # Valid, but not the manifest the model was kept with: as after a build that published and then died.
    manifest = Manifest.parse(path.read_bytes())
    manifest.files["index.html"] = ("0", manifest.files["index.html"][1])
    manifest.write(path)
    _edit(site, "retitle", HEBBIAN, 1)
    result = build_into(site, site / "_site", jobs=1)
    assert not result.model_kept
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))


def test_failed_edit_keeps_output_and_model(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    build_into(site, site / "_site", jobs=1)
    before = _tree(site / "_site")
    record = site / HEBBIAN
    good = record.read_text(encoding="utf-8")
    _rewrite(record, good.replace("year: 2023", "year: [2023"))
    with pytest.raises(BuildFailed) as failure:
        build_into(site, site / "_site", jobs=1)
    assert any(d.location.path == HEBBIAN for d in failure.value.report.errors)
    assert _tree(site / "_site") == before
    _rewrite(record, good.replace("Without Feedback", "Without Any Feedback"))
    assert build_into(site, site / "_site", jobs=1).model_kept
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))


def test_edit_of_record_with_merged_entry_keeps_model(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    # A record without venue or abstract that overrides an entry of the .bib file.
    record = site / "content/papers/devfly.yaml"
    _rewrite(record, 'key: wei2022devfly\ntitle: "DevFly"\nauthors:\n  - Tianqi Wei\n  - Qinghai Guo\nyear: 2022\n')
    build_into(site, site / "_site", jobs=1)
    _rewrite(record, record.read_text(encoding="utf-8").replace('"DevFly"', '"DevFly, Revisited"'))
    result = build_into(site, site / "_site", jobs=1)
    assert result.model_kept
    page = (site / "_site/papers/devfly-revisited/index.html").read_text(encoding="utf-8")
    # Venue and abstract still come from the .bib entry.
    assert "Advances in Neural Information Processing Systems" in page
    assert "Neural circuits undergo developmental processes" in page
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))


def _warnings(result: BuildResult) -> list[str]:
    return [str(d) for d in result.report.warnings]


def test_merge_warnings_follow_a_record_that_moves_down(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.yaml").write_text("title: T\nowners:\n  - Ann Lee\n", encoding="utf-8")
    papers, bib = site / "content/papers", site / "content/bib"
    papers.mkdir(parents=True)
    bib.mkdir()
    record = papers / "shared.yaml"
    _rewrite(record, 'title: "Shared Title"\nauthors:\n  - Ann Lee\nyear: 2022\n')
    entry = "@inproceedings{{{key},\n  title = {{Shared Title}},\n  author = {{Ann Lee}},\n  year = {{2022}},{extra}\n}}\n"
    (bib / "a.bib").write_text(entry.format(key="a1", extra="") + "\n" + entry.format(key="a2", extra="\n  doi = {10.1/x},"), encoding="utf-8")
    build_into(site, site / "_site", jobs=1)
    _rewrite(record, "# A comment moves the record down.\n\n" + record.read_text(encoding="utf-8"))
    incremental = build_into(site, site / "_site", jobs=1)
    cold = build_into(site, tmp_path / "cold", jobs=1)
    assert any("shared.yaml:3" in warning for warning in _warnings(cold))
    assert _warnings(incremental) == _warnings(cold)


def test_link_out_of_content_fails(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    site = copy_demo(tmp_path / "site")
    build_into(site, site / "_site", jobs=1)
    before = _tree(site / "_site")
    outside = tmp_path / "outside.yaml"
    outside.write_text((site / RECORDS[3]).read_text(encoding="utf-8").replace("SpikeZIP-TF", "Outside Text"), encoding="utf-8")
    (site / RECORDS[3]).unlink()
    (site / RECORDS[3]).symlink_to(outside)
    with pytest.raises(BuildFailed) as failure:
        build_into(site, site / "_site", jobs=1)
    assert [d.message for d in failure.value.report.errors] == ["symbolic link points outside content/; it is not read"]
    assert _tree(site / "_site") == before


def test_record_keeps_its_entry_through_any_shared_key(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.yaml").write_text("title: T\nowners:\n  - Ann Lee\n", encoding="utf-8")
    (site / "content/papers").mkdir(parents=True)
    (site / "content/bib").mkdir()
    record = site / "content/papers/shared.yaml"
    _rewrite(record, 'title: "Shared Title"\nauthors:\n  - Ann Lee\nyear: 2022\ndoi: 10.1/x\n')
    (site / "content/bib/a.bib").write_text(
        "@article{a1,\n  title = {Shared Title},\n  author = {Ann Lee},\n  journal = {Some Journal},\n  year = {2022},\n  doi = {10.1/x},\n}\n",
        encoding="utf-8",
    )
    build_into(site, site / "_site", jobs=1)
    # The titles differ now, but the DOI still makes the entry the same paper.
    _rewrite(record, record.read_text(encoding="utf-8").replace("Shared Title", "A New Title"))
    kept = build_into(site, site / "_site", jobs=1)
    assert kept.model_kept
    assert "Some Journal" in (site / "_site/papers/a-new-title/index.html").read_text(encoding="utf-8")
    assert not (site / "_site/papers/shared-title").exists()
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold1"))
    # Without the DOI nothing links them: the entry becomes a paper of its own.
    _rewrite(record, record.read_text(encoding="utf-8").replace("doi: 10.1/x\n", ""))
    split = build_into(site, site / "_site", jobs=1)
    assert not split.model_kept
    assert (site / "_site/papers/shared-title/index.html").is_file()
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold2"))


def test_title_taking_another_papers_slug_fails(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    # Two records with one title: one keeps the bare slug, the other gets a suffix.
    _set_line(site, RECORDS[1], "title", '"Shared Title"')
    _set_line(site, RECORDS[2], "title", '"Shared Title"')
    first = build_into(site, site / "_site", jobs=1)
    assert first.site is not None
    suffixed = next(paper.slug for paper in first.site.papers if paper.slug.startswith("shared-title-"))
    before = _tree(site / "_site")

    # A third title whose own slug is that suffixed slug.
    _set_line(site, RECORDS[3], "title", '"' + suffixed.replace("-", " ") + '"')
    with pytest.raises(BuildFailed) as failure:
        build_into(site, site / "_site", jobs=1)

    messages = [d.message for d in failure.value.report.errors]
    assert any(f"would both write papers/{suffixed}/index.html" in message for message in messages), messages
    assert _tree(site / "_site") == before


def test_site_without_yaml_records_keeps_no_model(tmp_path: Path) -> None:
    site = copy_demo(tmp_path)
    state = site / "._site.bibfolio"
    build_into(site, site / "_site", jobs=1)
    assert (state / "model.pickle").is_file()
    assert (state / "model-edits.pickle").is_file()

    # With only .bib entries left, no edit can be applied in place, so the model is removed.
    for record in (site / "content/papers").glob("*.yaml"):
        record.unlink()
    result = build_into(site, site / "_site", jobs=1)

    assert result.papers > 0
    assert not (state / "model.pickle").exists()
    assert not (state / "model-edits.pickle").exists()
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))


def _venue_site(root: Path, first_year: str = "year: 2020\n") -> Path:
    """Write a site of two papers in one venue that is not in the built-in table; the newer one names it."""
    record = "title: {title}\nauthors:\n  - Ada Lovelace\nvenue: Journal of Foo Studies\n{year}type: article\n"
    return make_site(
        root,
        {
            "site.yaml": "title: Venues\n",
            "content/papers/one.yaml": record.format(title="First Paper About Foo", year=first_year),
            "content/papers/two.yaml": record.format(title="Second Paper About Bar", year="year: 2019\n"),
        },
    )


@pytest.mark.parametrize(
    ("record", "line", "value"),
    [
        # The newest paper's venue text names the venue: a new spelling renames it.
        ("one.yaml", "venue", "The Journal of Foo Studies"),
        # The other paper becomes the newest, so its spelling names the venue.
        ("two.yaml", "venue", "The Journal of Foo Studies"),
    ],
    ids=["first-paper-renames", "second-paper-spelling"],
)
def test_venue_rename_loads_everything(tmp_path: Path, record: str, line: str, value: str) -> None:
    site = _venue_site(tmp_path / "site")
    build_into(site, site / "_site", jobs=1)
    _set_line(site, f"content/papers/{record}", line, value)
    if record == "two.yaml":
        build_into(site, site / "_site", jobs=1)
        _set_line(site, "content/papers/two.yaml", "year", "2021")

    result = build_into(site, site / "_site", jobs=1)

    assert not result.model_kept
    assert (site / "_site/venues/the-journal-of-foo-studies/index.html").is_file()
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))


def test_edit_of_undated_paper_keeps_model(tmp_path: Path) -> None:
    site = _venue_site(tmp_path / "site", first_year="")
    build_into(site, site / "_site", jobs=1)

    _set_line(site, "content/papers/one.yaml", "title", "First Paper About Foo, Retitled")
    result = build_into(site, site / "_site", jobs=1)
    assert result.model_kept
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold"))

    _set_line(site, "content/papers/one.yaml", "year", "2018")
    build_into(site, site / "_site", jobs=1)
    assert (site / "_site/venues/journal-of-foo-studies/2018/index.html").is_file()
    assert _tree(site / "_site") == _tree(_cold(site, tmp_path / "cold2"))
