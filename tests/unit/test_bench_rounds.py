"""`make bench`'s rounds: ratios taken within a round, figures the median of the rounds."""

from bench.report import table_lines, target_lines
from bench.run import merged, targets, with_ratios


def row(key: str, rps: float, baseline: str | None = None, per_s: float | None = None) -> dict:
    return {"key": key, "label": key, "baseline": baseline, "rps": rps, "p50_ms": 1.0,
            "p99_ms": 2.0, "activities_per_s": per_s, "requests": 10, "ok": 10, "failures": 0,
            "statuses": {"201": 10}}


def a_round(commit: float, log: float, batch_per_s: float, json_: float, board: float,
            report: float) -> list[dict]:
    return with_ratios([row("json", json_), row("commit", commit),
                        row("log", log, "commit", log), row("batch", batch_per_s / 20, "commit",
                                                            batch_per_s),
                        row("board", board, "json"), row("redeem", commit / 2, "commit"),
                        row("report", report, "json")])


ROUNDS = [a_round(1000, 300, 3600, 4000, 2000, 1000),
          # the baseline swung up and the board ran slow in this round only
          a_round(1500, 420, 4800, 4000, 800, 700),
          a_round(1100, 340, 3700, 4000, 2100, 1050)]


def by_target(checks: list[dict], words: str) -> dict:
    return next(check for check in checks if words in check["target"])


def test_a_ratio_is_the_median_of_the_ratios_of_each_round():
    log = next(r for r in merged(ROUNDS) if r["key"] == "log")
    # rounds: 300/1000, 420/1500, 340/1100 -> 0.300, 0.280, 0.309
    assert log["ratio"] == 0.3
    assert log["rps"] == 340
    assert log["rounds_rps"] == [300, 420, 340]
    assert log["requests"] == 30
    assert log["statuses"] == {"201": 30}


def test_one_slow_round_does_not_decide_a_target():
    checks = targets(ROUNDS, report_built=True)
    board = by_target(checks, "team board")
    assert board["rounds"] == [0.5, 0.2, 0.525]
    assert board["value"] == 0.5
    assert board["met"] is True
    batch = by_target(checks, "batch of 20")
    assert batch["rounds"] == [12.0, 11.43, 10.88]
    assert batch["value"] == 11.43
    assert batch["met"] is True
    report = by_target(checks, "institution report")
    assert report["value"] == 2.0
    assert report["met"] is True
    assert by_target(checks, "logging one")["met"] is False


def test_the_tables_show_every_round():
    results = {"scenarios": merged(ROUNDS), "targets": targets(ROUNDS, report_built=True)}
    board_line = next(line for line in table_lines(results) if line.startswith("| board "))
    assert board_line.endswith("| 50% of json | 2,000 / 800 / 2,100 |")
    target = next(line for line in target_lines(results) if "team board" in line)
    assert target == ("| team board read >= 50% of the JSON baseline | 50% | yes "
                      "| 50% / 20% / 52% |")
    missing = next(line for line in target_lines(results) if "dashboard" in line)
    assert "n/a (not built)" in missing
    assert "| n/a |" in missing
