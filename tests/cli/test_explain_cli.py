"""ember explain: the tutorials' example printed as a table, numbers from the flags."""
from ember.cli.main import main


def test_default_numbers_and_closed_forms(capsys):
    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    assert "x = 2, y = 10, w1 = 1.5, w2 = 0.5" in out
    assert "dL/dw2 = -8.5 * 3 = -25.5" in out
    assert "dL/dw2 = (y_hat - y) * w1 * x = -25.5" in out and "dL/dw1 = (y_hat - y) * w2 * x = -8.5" in out


def test_flags_change_the_numbers(capsys):
    assert main(["explain", "--x", "1", "--y", "0", "--w1", "2", "--w2", "3"]) == 0
    out = capsys.readouterr().out         # y_hat = 6, dL/dy_hat = 6, dL/dw2 = 6 * 2 * 1, dL/dw1 = 6 * 3 * 1
    assert "dL/dy_hat = y_hat - y = 6;" in out and "= 12;" in out and "= 18" in out


def test_bad_number_is_one_line(capsys):
    assert main(["explain", "--w1", "nan"]) == 1
    assert "--w1: expected a finite number" in capsys.readouterr().err
