import math

from models.features import DAY, extract_features
from models.heuristic import INTERCEPT, HeuristicScorer
from models.state import CustomerState, apply_complaint, apply_purchase


def _monthly_buyer() -> CustomerState:
    state = CustomerState("c1")
    for day in range(0, 180, 30):
        apply_purchase(state, day * DAY, 60.0)
    return state


def test_risk_grows_with_silence():
    scorer, state = HeuristicScorer(), _monthly_buyer()
    risks = [
        scorer.predict_proba_one(extract_features(state, d * DAY, 90))[True]
        for d in (160, 200, 260, 330)
    ]
    assert risks == sorted(risks) and risks[0] < 0.2 and risks[-1] > 0.85


def _log_odds(p: float) -> float:
    return math.log(p / (1 - p))


def test_open_severe_complaint_raises_the_odds_of_churn_sevenfold():
    scorer, state = HeuristicScorer(), _monthly_buyer()
    before = scorer.predict_proba_one(extract_features(state, 160 * DAY, 90))[True]
    apply_complaint(state, 155 * DAY, "k1", "quality", 5, "opened", None)
    after = scorer.predict_proba_one(extract_features(state, 160 * DAY, 90))[True]
    assert _log_odds(after) - _log_odds(before) > math.log(7)


def test_contributions_add_up_to_the_log_odds():
    scorer = HeuristicScorer()
    x = extract_features(_monthly_buyer(), 220 * DAY, 90)
    p = scorer.predict_proba_one(x)[True]
    assert abs(_log_odds(p) - INTERCEPT - sum(scorer.contributions(x).values())) < 1e-9


def test_probabilities_sum_to_one():
    proba = HeuristicScorer().predict_proba_one(extract_features(_monthly_buyer(), 0.0, 90))
    assert abs(proba[True] + proba[False] - 1) < 1e-12
