"""``lendcore quote`` and ``lendcore products`` through the real command (subprocess-free)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lendcore.cli import _mount, app

_mount()
runner = CliRunner()
BASE = ["quote", "--principal", "12000", "--installments", "12", "--method", "flat-fee",
        "--fee-rate-per-installment", "0.6%", "--start", "2025-06-01"]


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_json_quote_of_the_flat_fee_example_has_the_documented_shape_and_apr() -> None:
    code, out, _ = _run(*BASE, "--json")
    assert code == 0
    body = json.loads(out)
    assert set(body) == {"installments", "totals", "apr"}
    assert body["apr"] == {"nominal": "0.130342", "effective": "0.138418"}
    assert body["totals"] == {"principal": "12000.00", "interest": "0.00", "fee": "864.00",
                              "total": "12864.00"}
    first = body["installments"][0]
    assert first == {"number": 1, "due_date": "2025-07-01", "principal": "1000.00",
                     "interest": "0.00", "fee": "72.00", "total": "1072.00",
                     "balance_after": "11000.00"}


def test_the_daily_rate_example_is_917_99_then_917_98() -> None:
    code, out, _ = _run("quote", "--principal", "10000", "--installments", "12", "--method",
                        "equal-installment", "--daily-rate", "0.05%", "--start", "2025-01-15",
                        "--json")
    assert code == 0
    totals = [row["total"] for row in json.loads(out)["installments"]]
    assert totals == ["917.99"] * 11 + ["917.98"]


def test_the_table_output_leads_with_the_simple_annual_rate_then_the_compound() -> None:
    code, out, _ = _run(*BASE)
    assert code == 0
    first_line = out.splitlines()[0]
    assert "13.03%" in first_line and "simple" in first_line and "单利" in first_line
    assert first_line.index("13.03%") < first_line.index("13.84%")
    assert "compound" in first_line and "1072.00" in out


def test_a_rate_over_20_percent_warns_on_stderr_but_quotes() -> None:
    code, out, err = _run("quote", "--principal", "5000", "--installments", "18", "--method",
                          "equal-installment", "--annual-rate", "22%", "--start", "2025-06-01",
                          "--json")
    assert code == 0 and json.loads(out)["apr"]["nominal"].startswith("0.22")
    assert "warning:" in err and "20%" in err


@pytest.mark.parametrize(("args", "option"), [
    (["--principal", "0"], "--principal"),
    (["--principal", "-5000"], "--principal"),
    (["--principal", "5000.001"], "--principal"),
    (["--principal", "1e999999"], "--principal"),
    (["--principal", "abc"], "--principal"),
    (["--installments", "0"], "--installments"),
    (["--installments", "1.5"], "--installments"),
    (["--installments", "999"], "--installments"),
    (["--method", "balloon"], "--method"),
    (["--annual-rate", "twelve"], "--annual-rate"),
    (["--annual-rate", "12%%"], "--annual-rate"),
    (["--annual-rate", "30%"], "--annual-rate"),
    (["--daily-rate", "0.08%"], "--daily-rate"),
    (["--start", "2022-13-01"], "--start"),
    (["--start", "yesterday"], "--start"),
    (["--rounding", "banker"], "--rounding"),
    (["--interest", "weekly"], "--interest"),
    (["--day-count", "ACT/366"], "--day-count"),
    (["--installment-multiple", "0"], "--installment-multiple"),
    (["--fee-rate-per-installment", "nan"], "--fee-rate-per-installment"),
])
def test_bad_input_exits_non_zero_with_one_line_naming_the_option(
    args: list[str], option: str
) -> None:
    values = {"--principal": "5000", "--installments": "18", "--method": "equal-installment",
              "--start": "2025-06-01"}
    for name, value in zip(args[::2], args[1::2], strict=True):
        values[name] = value
    if "--daily-rate" not in values:
        values.setdefault("--annual-rate", "12%")
    argv = ["quote", *[part for pair in values.items() for part in pair]]
    code, out, err = _run(*argv)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {option}:")
    assert "Traceback" not in err + out


def test_both_annual_and_daily_rates_are_refused() -> None:
    code, _, err = _run(*BASE, "--annual-rate", "12%", "--daily-rate", "0.03%")
    assert code != 0 and "not both" in err and len(err.strip().splitlines()) == 1


def test_a_missing_principal_is_our_error_not_a_usage_screen() -> None:
    code, _, err = _run("quote", "--installments", "12", "--method", "bullet",
                        "--annual-rate", "12%")
    assert code != 0 and err.strip() == "error: --principal: is required; accepts an amount in " \
                                        "yuan such as 5000 or 917.99"


def test_products_lists_the_catalogue_with_each_terms_disclosed_rate() -> None:
    code, out, _ = _run("products", "--json")
    assert code == 0
    rows = {row["code"]: row for row in json.loads(out)}
    twelve = next(t for t in rows["checkout-installment"]["terms"]
                  if t["installments"] == 12 and t["methods"] == ["flat-fee"])
    assert twelve["apr_nominal"] == "13.0342%"  # every rate and fee in percent (one unit)
    code, out, _ = _run("products")
    assert code == 0 and "cash-line" in out and "13.0342%" in out
