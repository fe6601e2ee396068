"""The agreement figures (issue 15) on plain values, against hand-computed results: no database."""

from __future__ import annotations

from fractions import Fraction

import pytest

from annotations import agreement


def test_cohen_kappa_on_a_table_worked_out_by_hand():
    # two editors, ten sentences, "claim" or "no claim":
    #                B: claim  B: no claim
    #   A: claim         4          1
    #   A: no claim      2          3
    # p_o = 7/10; p_A(claim) = 5/10, p_B(claim) = 6/10; p_e = .5·.6 + .5·.4 = .5; κ = (.7 − .5) / (1 − .5) = .4
    table = {("claim", "claim"): 4, ("claim", "no"): 1, ("no", "claim"): 2, ("no", "no"): 3}
    kappa = agreement.cohen_kappa(table)
    assert kappa.statistic == "kappa"
    assert kappa.observed == pytest.approx(0.7)
    assert kappa.expected == pytest.approx(0.5)
    assert kappa.value == pytest.approx(0.4)
    assert kappa.n == 10


def test_cohen_kappa_with_three_labels_worked_out_by_hand():
    # A: sourced, unsourced, no_claim; B: sourced, sourced, no_claim.
    # p_o = 2/3; p_e = 1/3·2/3 + 1/3·0 + 1/3·1/3 = 1/3; κ = (2/3 − 1/3) / (2/3) = 1/2
    table = {("sourced", "sourced"): 1, ("unsourced_claim", "sourced"): 1, ("no_claim", "no_claim"): 1}
    assert agreement.cohen_kappa(table).value == pytest.approx(0.5)


def test_kappa_is_undefined_when_everyone_always_says_the_same():
    kappa = agreement.cohen_kappa({("sourced", "sourced"): 5})
    assert kappa.value is None and kappa.observed == 1.0
    assert agreement.cohen_kappa({}).value is None


def test_krippendorff_alpha_of_two_editors_worked_out_by_hand():
    # the same ten sentences: coincidences o(claim,claim) = 8, o(no,no) = 6, o(claim,no) = o(no,claim) = 3;
    # n_claim = 11, n_no = 9, n = 20; α = 1 − (n − 1)·Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k = 1 − 19·6 / 198 = 14/33
    units = [("claim", "claim")] * 4 + [("claim", "no")] + [("no", "claim")] * 2 + [("no", "no")] * 3
    alpha = agreement.alpha_of_units(units)
    assert alpha.statistic == "alpha"
    assert alpha.value == pytest.approx(float(Fraction(14, 33)))
    assert alpha.n == 10


def test_krippendorff_alpha_of_three_editors_with_a_missing_value_worked_out_by_hand():
    # units (editor 1, 2, 3): (a, a, a), (a, a, b), (b, b, b), (a, b, —)
    # coincidences: o_aa = 3 + 1 = 4, o_bb = 3, o_ab = o_ba = 1 + 1 = 2; n_a = 6, n_b = 5, n = 11
    # α = 1 − 10·4 / (2·6·5) = 1 − 40/60 = 1/3
    alpha = agreement.alpha_of_units([("a", "a", "a"), ("a", "a", "b"), ("b", "b", "b"), ("a", "b", None)])
    assert alpha.value == pytest.approx(1 / 3)
    # a unit with one value only is not pairable: it changes nothing
    assert agreement.alpha_of_units(
        [("a", "a", "a"), ("a", "a", "b"), ("b", "b", "b"), ("a", "b", None), ("a", None, None)]
    ).value == pytest.approx(1 / 3)


def test_unit_pairs_carry_the_alpha_weight():
    assert agreement.unit_pairs(["a", "b"]) == [(0, 1, "a", "b", 1.0)]
    assert agreement.unit_pairs(["a", None, "b", "b"]) == [
        (0, 2, "a", "b", 0.5),
        (0, 3, "a", "b", 0.5),
        (2, 3, "b", "b", 0.5),
    ]
    assert agreement.unit_pairs(["a", None]) == []


def _a(pk, *, source=None, cue=None, content=None, main=None, state="confirmed", origin="prepass", **fields):
    out = {name: None for name in agreement.COMPARED_FIELDS}
    out.update({"quote_kind": "", "via": "", "anon_descriptor": "", "anon_seniority": ""})
    out.update({"anon_number": "", "anon_specificity": "", "source_type": "named_person"})
    for role, span in (("source", source), ("cue", cue), ("content", content)):
        if span:
            out[f"{role}_start"], out[f"{role}_end"] = span
    out.update(id=pk, main_id=main, review_state=state, origin=origin, **fields)
    return out


def test_span_agreement_uses_the_evaluate_prepass_scorer():
    # A (reference): X = source 0–10 cue 11–15; Y = source 20–40 cue 41–45.
    # B: X the same; Y with its source 25–40 (75% of A's: an overlap match, not an exact one); Z = source 60–70 extra.
    a = [_a(1, source=(0, 10), cue=(11, 15)), _a(2, source=(20, 40), cue=(41, 45))]
    b = [_a(3, source=(0, 10), cue=(11, 15)), _a(4, source=(25, 40), cue=(41, 45)), _a(5, source=(60, 70))]
    counts = agreement.span_counts(a, b)
    # sources exact: B's 3 spans, 1 in A; A's 2 spans, 1 found -> P 1/3, R 1/2, F1 0.4
    exact = agreement.prf(counts[("source", "exact")])
    assert (exact["precision"], exact["recall"], exact["f1"]) == (pytest.approx(1 / 3, abs=1e-4), 0.5, 0.4)
    # at 30% overlap: B's 2 of 3, A's 2 of 2 -> F1 = 2·(2/3)·1 / (2/3 + 1) = 0.8
    assert agreement.prf(counts[("source", "overlap")])["f1"] == pytest.approx(0.8)
    # cues all agree exactly (Z has none); whole attributions: exact 1 of 3 / 1 of 2, overlap 2 of 3 / 2 of 2
    assert agreement.prf(counts[("cue", "exact")])["f1"] == 1.0
    assert agreement.prf(counts[("attribution", "exact")])["f1"] == pytest.approx(0.4)
    assert agreement.prf(counts[("attribution", "overlap")])["f1"] == pytest.approx(0.8)
    # rejected attributions are left out
    b[2]["review_state"] = "rejected"
    assert agreement.prf(agreement.span_counts(a, b)[("attribution", "overlap")])["f1"] == 1.0


def test_units_match_by_proposal_first_then_added_ones_by_overlap():
    proposal_x, proposal_y = 101, 102
    layer_a = [
        _a(1, source=(0, 10), cue=(11, 15), main=proposal_x),
        _a(2, source=(20, 40), cue=(41, 45), main=proposal_y, state="rejected"),
    ]
    layer_b = [
        # X corrected so far it no longer overlaps: still X (the same proposal)
        _a(3, source=(50, 55), cue=(56, 60), main=proposal_x, state="corrected"),
        _a(4, source=(20, 40), cue=(41, 45), main=proposal_y),
    ]
    layer_c = [
        _a(5, source=(0, 10), cue=(11, 15), main=proposal_x),
        # Y rejected, then added again by hand: joins Y's unit by overlap
        _a(6, source=(22, 40), cue=(41, 45), origin="editor", state="added"),
        _a(7, source=(80, 90), cue=(91, 95), origin="editor", state="added"),
    ]
    units = agreement.match_units([layer_a, layer_b, layer_c])
    assert [sorted((pos, a["id"]) for pos, a in u.items()) for u in units] == [
        [(0, 1), (1, 3), (2, 5)],
        [(1, 4), (2, 6)],
        [(2, 7)],
    ]
    assert agreement.unit_differs(units[0], 3)  # B moved the spans
    assert agreement.unit_differs(units[1], 3)  # A rejected it
    assert not agreement.unit_differs({0: layer_a[0], 2: layer_c[0]}, 2)


def test_review_figures_store_pairs_of_values_and_their_alpha_weights():
    anon = {"source_type": "anonymous", "anon_seniority": "senior", "anon_specificity": "bare"}
    layers = [
        [_a(1, source=(0, 5), cue=(6, 10), main=9, **anon)],
        [_a(2, source=(0, 5), cue=(6, 10), main=9, **{**anon, "anon_specificity": "affiliated"})],
        [_a(3, source=(0, 5), cue=(6, 10), main=9, source_type="named_person")],
    ]
    labels = [["sourced", "sourced", "no_claim"]]
    figures = agreement.review_figures(layers, labels)
    # source type: 3 values in one unit -> 3 pairs of weight 1/2
    assert figures.cells[(0, 1, "source_type", "anonymous", "anonymous")] == [1, 0.5]
    assert figures.cells[(0, 2, "source_type", "anonymous", "named_person")] == [1, 0.5]
    # anonymity: only the two who kept it anonymous -> one pair, weight 1
    assert figures.cells[(0, 1, "anon_specificity", "bare", "affiliated")] == [1, 1.0]
    assert not any(key[2].startswith("anon_") and 2 in key[:2] for key in figures.cells)
    assert figures.cells[(0, 2, "sentence_label", "sourced", "no_claim")] == [1, 0.5]
    # every pair, and each editor against the pre-pass (no proposals here: nothing found)
    assert set(figures.spans) == {(0, 1), (0, 2), (1, 2), (0, None), (1, None), (2, None)}


def test_prepass_shares_count_what_each_editor_kept():
    attributions = [
        _a(1, state="confirmed"),
        _a(2, state="corrected"),
        _a(3, state="rejected"),
        _a(4, state="added", origin="editor"),
    ]
    sentences = [
        {"label": "sourced", "proposed_label": "sourced"},
        {"label": "no_claim", "proposed_label": "sourced"},
        {"label": "no_claim", "proposed_label": ""},
    ]
    assert agreement.prepass_shares(attributions, sentences) == {
        "proposals": 3,
        "kept": 1,
        "corrected": 1,
        "rejected": 1,
        "added": 1,
        "labels_proposed": 2,
        "labels_kept": 1,
    }
