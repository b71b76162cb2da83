"""Label models: exact small cases, known synthetic accuracies, diagnostics, tennis."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from scipy.optimize import check_grad

from winnow.errors import SchemaError
from winnow.labeling import (
    DawidSkene,
    LabelModel,
    LabelModelWarning,
    MajorityVote,
    select_label_model,
)

TENNIS = Path(__file__).parent / "data" / "tennis"
TOLERANCE = 0.03  # learned vs true source accuracy


def synthetic_votes(
    *, n: int, accuracies: list[float], coverages: list[float], balance: list[float], seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Conditionally independent sources: vote y w.p. accuracy, else a uniform wrong class."""
    rng = np.random.default_rng(seed)
    k = len(balance)
    y = rng.choice(k, size=n, p=balance)
    cols = []
    for acc, cov in zip(accuracies, coverages, strict=True):
        votes = rng.random(n) < cov
        right = rng.random(n) < acc
        wrong = (y + rng.integers(1, k, n)) % k
        cols.append(np.where(votes, np.where(right, y, wrong), -1))
    return np.stack(cols, axis=1).astype(np.int64), y.astype(np.int64)


ACC = [0.9, 0.85, 0.75, 0.7, 0.65, 0.6, 0.8]
COV = [0.6, 0.9, 0.5, 1.0, 0.8, 0.7, 0.4]
BALANCE = [0.5, 0.3, 0.2]


@pytest.fixture(scope="module")
def synthetic() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    return synthetic_votes(n=60_000, accuracies=ACC, coverages=COV, balance=BALANCE, seed=11)


def tennis() -> tuple[npt.NDArray[np.int64], ...]:
    def convert(a: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.where(a == 1, 1, np.where(a == -1, 0, -1)).astype(np.int64)

    return tuple(
        convert(np.load(TENNIS / f"{name}.npy"))
        for name in ("L_train_video", "L_dev_video", "Y_dev_video")
    )


@pytest.mark.filterwarnings("ignore::winnow.labeling.LabelModelWarning")
def test_majority_vote_exact() -> None:
    L = np.array([[0, 0, 1], [1, -1, 1], [-1, -1, -1], [0, 1, -1]])
    mv = MajorityVote(cardinality=2).fit(L)
    np.testing.assert_allclose(
        mv.predict_proba(L), [[2 / 3, 1 / 3], [0, 1], [0.5, 0.5], [0.5, 0.5]]
    )
    assert mv.predict(L, tie_break="lowest").tolist() == [0, 1, 0, 0]
    assert mv.predict(L, tie_break="abstain").tolist() == [0, 1, -1, -1]
    weighted = MajorityVote(cardinality=2, weights=[1, 1, 3]).fit(L)
    assert weighted.predict(L, tie_break="abstain").tolist() == [1, 1, -1, -1]
    with pytest.raises(SchemaError, match="non-negative"):
        MajorityVote(weights=[1, -1, 1]).fit(L)


@pytest.mark.filterwarnings("ignore::winnow.labeling.LabelModelWarning")
def test_random_tie_break_is_seeded_and_uniform() -> None:
    L = np.array([[0, 1, 2]] * 3000)
    mv = MajorityVote(cardinality=3).fit(L)
    a = mv.predict(L, seed=5)
    np.testing.assert_array_equal(a, mv.predict(L, seed=5))
    counts = np.bincount(a, minlength=3)
    assert counts.min() > 900  # each of the three tied classes about 1000 times


@pytest.mark.parametrize("model", [DawidSkene(cardinality=3), LabelModel(cardinality=3)],
                         ids=["dawid_skene", "label_model"])
def test_learned_accuracies_match_truth(model, synthetic) -> None:
    L, y = synthetic
    model.fit(L)
    np.testing.assert_allclose(model.accuracies_, ACC, atol=TOLERANCE)
    np.testing.assert_allclose(model.class_balance_, BALANCE, atol=TOLERANCE)
    assert model.confusions_.shape == (7, 3, 3)
    np.testing.assert_allclose(model.confusions_.sum(axis=2), 1.0)
    assert model.score(L, y) > MajorityVote(cardinality=3).fit(L).score(L, y)


def test_label_model_gradient_is_exact(synthetic) -> None:
    L, _ = synthetic
    lm = LabelModel(cardinality=3, l2=0.1).fit(L[:2000])
    x0 = np.random.default_rng(0).normal(size=7 * 4 * 3 + 3)
    assert check_grad(lambda x: lm._objective(x)[0], lambda x: lm._objective(x)[1], x0) < 1e-5


def test_given_and_dev_class_balance(synthetic) -> None:
    L, y = synthetic
    given = LabelModel(cardinality=3, class_balance=[0.5, 0.3, 0.2]).fit(L)
    np.testing.assert_allclose(given.class_balance_, [0.5, 0.3, 0.2])
    dev = DawidSkene(cardinality=3, class_balance="dev").fit(L, L_dev=L[:500], Y_dev=y[:500])
    np.testing.assert_allclose(dev.class_balance_, BALANCE, atol=0.05)
    with pytest.raises(SchemaError, match="Y_dev"):
        LabelModel(class_balance="dev").fit(L)


def test_dawid_skene_converges_and_reports() -> None:
    L, _ = synthetic_votes(n=5000, accuracies=[0.9, 0.8, 0.7], coverages=[1, 1, 1],
                           balance=[0.5, 0.5], seed=2)
    ds = DawidSkene(cardinality=2, tol=1e-8).fit(L)
    assert ds.converged_ and ds.n_iter_ < 100
    capped = DawidSkene(cardinality=2, max_iter=1).fit(L)
    assert capped.n_iter_ == 1 and not capped.converged_


def test_inverted_source_warns() -> None:
    L, _ = synthetic_votes(n=20_000, accuracies=[0.85, 0.8, 0.75, 0.1], coverages=[1, 1, 1, 1],
                           balance=[0.5, 0.5], seed=4)
    with pytest.warns(LabelModelWarning, match="'flipped' looks worse than random"):
        DawidSkene(cardinality=2).fit(L, source_names=["a", "b", "c", "flipped"])


def test_single_class_prediction_warns() -> None:
    L = np.array([[0, 0], [0, -1], [-1, 0]] * 20)
    with pytest.warns(LabelModelWarning, match="single class 0"):
        MajorityVote(cardinality=2).fit(L)


def test_majority_beating_the_model_on_dev_warns() -> None:
    # Three copies of one bad source outvote two good ones under a model that trusts copies.
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 4000)
    bad = np.where(rng.random(4000) < 0.6, y, 1 - y)
    good = [np.where(rng.random(4000) < 0.8, y, 1 - y) for _ in range(4)]
    L = np.stack([bad, bad, bad, *good], axis=1)
    with pytest.warns(LabelModelWarning, match="majority vote beats"):
        LabelModel(cardinality=2).fit(L, L_dev=L[:2000], Y_dev=y[:2000])


def test_predict_before_fit_and_shape_mismatch() -> None:
    with pytest.raises(SchemaError, match="not fitted"):
        LabelModel().predict_proba(np.array([[0, 1]]))
    mv = MajorityVote(cardinality=2).fit(np.array([[0, 1], [1, 1]]))
    with pytest.raises(SchemaError, match="same labeling functions"):
        mv.predict(np.array([[0, 1, 1]]))


def test_tennis_best_model_reaches_majority_vote() -> None:
    L_train, L_dev, Y_dev = tennis()
    assert L_train.shape == (6959, 6) and L_dev.shape == (746, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabelModelWarning)
        selection = select_label_model(L_dev, Y_dev, L_train=L_train)
    assert set(selection.scores) == {"majority", "dawid_skene", "label_model",
                                     "label_model_dev_balance"}
    assert selection.scores[selection.best_name] == max(selection.scores.values())
    best = selection.best.score(L_dev, Y_dev)
    assert best >= 0.8847  # Snorkel 0.10 majority vote on this dev set
    assert selection.scores["dawid_skene"] >= 0.8847
    assert selection.scores["label_model"] >= 0.8847


def test_selection_names_list_candidates_and_does_not_mutate_them() -> None:
    L, y = synthetic_votes(n=3000, accuracies=[0.8, 0.7, 0.6], coverages=[1, 1, 1],
                           balance=[0.5, 0.5], seed=1)
    candidates = [MajorityVote(cardinality=2), MajorityVote(cardinality=2),
                  DawidSkene(cardinality=2)]
    sel = select_label_model(L, y, candidates, metric="macro_f1")
    assert list(sel.scores) == ["MajorityVote", "MajorityVote_2", "DawidSkene"]
    assert not hasattr(candidates[2], "confusions_")


def test_label_model_class_balance_from_dev(synthetic) -> None:
    L, y = synthetic
    lm = LabelModel(cardinality=3, class_balance="dev").fit(L, L_dev=L[:2000], Y_dev=y[:2000])
    dev_freq = (np.bincount(y[:2000], minlength=3) + 1) / (2000 + 3)  # add-one smoothed
    np.testing.assert_allclose(lm.class_balance_, dev_freq)
    np.testing.assert_allclose(lm.accuracies_, ACC, atol=TOLERANCE)


@pytest.mark.parametrize("k", [2, 3, 70])
def test_grouped_log_joint_equals_the_sum_over_sources(k: int) -> None:
    from winnow.labeling.models._base import log_joint

    rng = np.random.default_rng(k)
    m, n = 9, 500
    U = rng.integers(-1, k, size=(n, m))
    tables = rng.normal(size=(m, k + 1, k))
    prior = rng.normal(size=k)
    expected = np.tile(prior, (n, 1))
    for i in range(n):
        for j in range(m):
            expected[i] += tables[j, U[i, j]]  # -1 picks the abstain row k
    np.testing.assert_allclose(log_joint(U, tables, prior), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore::winnow.labeling.LabelModelWarning")
@pytest.mark.parametrize("model_class", [MajorityVote, DawidSkene, LabelModel])
def test_fit_on_patterns_or_raw_rows_gives_the_same_model(model_class, monkeypatch) -> None:
    from winnow.labeling.models import _base

    # 20 sources with independent abstains: the rows hardly repeat, so L is used as is.
    L, _ = synthetic_votes(n=40_000, accuracies=[0.7] * 20, coverages=[0.5] * 20,
                           balance=[0.5, 0.3, 0.2], seed=5)
    U, inverse, _ = _base.vote_patterns(L)
    assert inverse is None and U is L
    raw = model_class(cardinality=3).fit(L)
    monkeypatch.setattr(_base, "_PROBE_ROWS", 10**9)  # always compress
    U, inverse, counts = _base.vote_patterns(L)
    assert inverse is not None and counts.sum() == len(L)
    packed = model_class(cardinality=3).fit(L)
    np.testing.assert_allclose(packed.confusions_, raw.confusions_, atol=1e-6)
    np.testing.assert_allclose(packed.class_balance_, raw.class_balance_, atol=1e-6)
    np.testing.assert_allclose(packed.predict_proba(L), raw.predict_proba(L), atol=1e-6)


def test_single_class_check_looks_past_the_first_block() -> None:
    from winnow.labeling.models._base import _PROBE_ROWS

    mv = MajorityVote(cardinality=2).fit(np.array([[0, 1], [1, 1], [0, 0]]))
    zeros = np.zeros((_PROBE_ROWS * 2 + 5, 2), dtype=np.int64)
    assert mv._single_class(zeros) == 0
    late_one = zeros.copy()
    late_one[-1] = [1, 1]  # only the last block shows a second class
    assert mv._single_class(late_one) is None
    assert mv._single_class(np.full((10, 2), -1)) is None  # nothing covered


@pytest.mark.parametrize("model_class", [MajorityVote, DawidSkene, LabelModel])
def test_one_sided_sources_are_judged_on_the_items_they_vote_on(model_class) -> None:
    # Typical labeling functions vote one class only. A spam rule that fires on half the
    # spam and 5% of the ham is right ~81% of the time it votes: not worse than random.
    rng = np.random.default_rng(21)
    n = 50_000
    y = (rng.random(n) < 0.3).astype(np.int64)
    bipolar = [np.where(rng.random(n) < a, y, 1 - y) for a in (0.85, 0.8, 0.75)]
    fires = rng.random(n) < np.where(y == 1, 0.5, 0.05)
    spam_rule = np.where(fires, 1, -1)
    ham_rule = np.where(rng.random(n) < np.where(y == 0, 0.6, 0.1), 0, -1)
    L = np.stack([*bipolar, spam_rule, ham_rule], axis=1)
    # LabelModel: with one-sided sources the class balance is only weakly identified by the
    # moments (a wrong balance fits them almost as well), so it comes from a dev sample.
    lm = model_class is LabelModel
    options = {"class_balance": "dev"} if lm else {}
    dev = {"L_dev": L[:2000], "Y_dev": y[:2000]} if lm else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", LabelModelWarning)  # no "looks worse than random"
        model = model_class(cardinality=2, **options).fit(L, **dev)
    truth = [float(np.mean(L[L[:, j] != -1, j] == y[L[:, j] != -1])) for j in range(5)]
    if model_class is DawidSkene:
        # Dawid-Skene treats an abstain as a missing vote, so a one-sided source carries no
        # evidence in it; its accuracy comes from the posteriors of the other sources and
        # leans toward the prior. It must still not look inverted.
        np.testing.assert_allclose(model.accuracies_[:3], truth[:3], atol=0.03)
        assert np.all(model.accuracies_[3:] > 0.6)
        return
    tol = 0.1 if model_class is MajorityVote else 0.03  # MV: agreement with the majority
    np.testing.assert_allclose(model.accuracies_, truth, atol=tol)
