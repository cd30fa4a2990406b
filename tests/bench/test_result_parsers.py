"""The benchmarks' parsers of wrk's and go test's output, and the ratios and targets computed from the results (no
timings measured, nothing started)."""

import pytest

from bench.aggregator.measure import go_benchmark_seconds
from bench.http.targets import REQUIRED_CASES, cost_ratios, evaluate_targets
from bench.http.wrk import parse_wrk_output

WRK_STDOUT = """Running 30s test @ http://127.0.0.1:8000/healthz
  1 threads and 32 connections
BENCH_RESULT {"requests":1500,"duration_us":3000000,"bytes":9000,"errors":{"connect":0,"read":0,"write":0,\
"status":0,"timeout":0},"bad_responses":2,"first_bad":"500 oops","latency_us":{"mean":812.5,"stdev":40.0,\
"max":9000.0,"p50":800.0,"p90":900.0,"p99":1200.0}}
"""


def test_wrk_result_line_gives_counts_percentiles_and_rate():
    result = parse_wrk_output(WRK_STDOUT)

    assert result["requests"] == 1500
    assert result["requests_per_s"] == 500.0
    assert result["bad_responses"] == 2
    assert result["first_bad"] == "500 oops"
    assert result["latency_us"] == {
        "mean": 812.5,
        "stdev": 40.0,
        "max": 9000.0,
        "p50": 800.0,
        "p90": 900.0,
        "p99": 1200.0,
    }


def test_wrk_output_without_result_line_is_an_error():
    with pytest.raises(RuntimeError, match="BENCH_RESULT"):
        parse_wrk_output("Running 30s test @ http://127.0.0.1:8000/healthz\n")


def test_go_benchmark_lines_give_seconds_per_stage():
    output = (
        "goos: linux\n"
        "BenchmarkFullPath_BareCopy-2     \t       1\t3456789012 ns/op\n"
        "BenchmarkFullPath_Aggregate-2    \t       1\t4000000000 ns/op\t  2500000 rows/s\t  10 B/op\n"
        "PASS\n"
    )

    assert go_benchmark_seconds(output) == {"BareCopy": 3.456789012, "Aggregate": 4.0}


def _case(requests_per_s: float) -> dict:
    return {"requests_per_s": requests_per_s, "latency_us": {"p99": 1000.0}}


def test_cost_ratios_compare_the_deep_pages_with_the_first_ones_that_ran():
    cases = {"first_page": _case(200.0), "deep_page": _case(160.0), "entries_first": _case(100.0)}

    assert cost_ratios(cases) == {"deep_page/first_page": 1.25}
    cases["entries_deep"] = _case(80.0)
    assert cost_ratios(cases) == {"deep_page/first_page": 1.25, "entries_deep/entries_first": 1.25}


def test_the_register_target_is_met_within_one_and_a_half_times_the_first_page():
    cases = {name: _case(100.0) for name in REQUIRED_CASES}
    cases["entries_deep"] = _case(60.0)

    targets = {target["target"]: target for target in evaluate_targets(cases, [80.0])}

    register = targets["deep register page within 1.5x of the first register page"]
    assert register == {
        "target": "deep register page within 1.5x of the first register page",
        "met": False,
        "measured": "1.67x",
    }
    assert evaluate_targets({name: _case(100.0) for name in REQUIRED_CASES - {"entries_deep"}}, [80.0]) == []
