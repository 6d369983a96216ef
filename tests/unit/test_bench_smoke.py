"""bench/ keeps working: the harness runs at tiny sizes and prints well-formed figures.

Only shapes are asserted here, never timings (those belong to bench/ itself).
"""

from __future__ import annotations

import json
from array import array
from pathlib import Path

import pytest

from bench.__main__ import benchmarks, main
from bench.harness import Context, Mode, figure, percentile, table
from bench.import_members import write_members
from bench.platforms import fold, steady

REQUIRED = {"bench": str, "case": str, "goal": str, "summary": str}


def figures_of(output: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines[0]["machine"]["nproc"] >= 1  # the first line says what it ran on
    return [line for line in lines if "bench" in line]


def test_every_benchmark_family_is_registered() -> None:
    assert list(benchmarks()) == ["ceiling", "peers", "overhead", "scale", "inbound", "votes",
                                  "chat"]


@pytest.mark.slow
def test_votes_smoke_counts_every_vote_exactly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["--smoke", "--only", "votes", "--keep", str(tmp_path)]) == 0
    made = figures_of(capsys.readouterr().out)
    assert [f["case"] for f in made] == [
        "telegram webhook votes", "vk webhook votes", "viber webhook votes", "exact tallies"]
    assert all(f["statuses"] == {"200": f["count"]} for f in made[:3])
    assert made[3]["met"] is True and made[3]["voters"] == made[3]["votes"]


def test_unknown_benchmark_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--smoke", "--only", "nonsense"])
    assert exit_info.value.code == 2
    assert "unknown benchmark" in capsys.readouterr().err


@pytest.mark.slow
def test_smoke_run_prints_one_json_figure_per_line_and_a_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status = main(["--smoke", "--only", "overhead", "--only", "inbound",
                   "--keep", str(tmp_path)])
    output = capsys.readouterr().out
    assert status == 0
    made = figures_of(output)
    cases = [(f["bench"], f["case"]) for f in made]
    assert cases == [
        ("overhead", "core via RecordingChannel"), ("overhead", "telegram paid broadcast"),
        ("inbound", "telegram webhook texts"), ("inbound", "viber webhook texts"),
    ]
    for one in made:
        for key, kind in REQUIRED.items():
            assert isinstance(one[key], kind), key
        assert one["met"] in (True, False, None)
        assert isinstance(one["load_1m"], float)
    recording, paid, telegram, viber = made
    assert recording["sent"] == recording["deliveries"]
    assert isinstance(recording["sent"], int) and recording["sent"] > 0
    assert paid["delivered"] == paid["members"] and paid["violations"] == 0
    for inbound in (telegram, viber):
        assert inbound["statuses"] == {"200": inbound["count"]}
        assert inbound["stored"] == inbound["handled"] == inbound["replies_queued"] \
            == inbound["count"]
    assert "bench     case" in output and "core via RecordingChannel" in output.split("\n\n")[-2]


def test_steady_rate_ignores_bursts_and_the_ramp() -> None:
    # Bursts of 10 arrivals every 1.25 s (a ceiling of 10 per 1 s window, at 0.8 of it).
    times = array("d", sorted(b * 1.25 + i * 0.001 for b in range(40) for i in range(10)))
    found = steady(times, per_window=10, window_s=1.0, trim=0.1)
    assert found["count"] == 400
    assert found["ratio"] == pytest.approx(0.8, abs=1e-3)
    assert found["steady_per_s"] == pytest.approx(8.0, abs=1e-2)
    assert found["tightest_s"] == pytest.approx(1.25, abs=1e-6)


def test_steady_rate_of_a_run_too_short_is_not_made_up() -> None:
    found = steady(array("d", [0.0, 0.1, 0.2]), per_window=30, window_s=1.0, trim=0.1)
    assert found["steady_per_s"] is None and found["count"] == 3


def test_fold_keeps_small_stats_and_counts_big_tables() -> None:
    stats = {"violations": 0, "by_chat": {str(i): 1 for i in range(100)}, "sizes": [3] * 60}
    folded = fold(stats)
    assert folded["violations"] == 0
    assert folded["by_chat"] == {"entries": 100, "total": 100, "max": 1}
    assert folded["sizes"] == {"entries": 60, "min": 3, "max": 3, "total": 180}


def test_table_lists_every_figure_with_its_verdict(tmp_path: Path) -> None:
    with (tmp_path / "out.jsonl").open("w") as out:
        ctx = Context(Mode("smoke"), tmp_path, out=out)
        ctx.emit(figure("demo", "a", ">= 1", True, summary="2"))
        ctx.emit(figure("demo", "b", ">= 1", False, summary="0"))
    text = table(ctx.figures)
    assert text.splitlines()[2].split() == ["demo", "a", "2", ">=", "1", "yes"]
    assert text.splitlines()[3].split()[-1] == "NO"
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def test_members_csv_has_the_importer_columns(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    write_members(path, 8)
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    assert header == "full_name,org_path,roles,telegram_id,vk_id,viber_id,member_id,tags"
    assert len(rows) == 8
