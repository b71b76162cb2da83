"""Labels: one store for every vote, labeling functions, label models, agreement, natural labels.

Votes from labeling functions, annotators, legacy systems, models and user feedback are rows of
one :class:`VoteStore` and convert to the label matrix ``L`` (``ABSTAIN = -1``, classes
``0..k-1``). Label models (:class:`MajorityVote`, :class:`DawidSkene`, :class:`LabelModel`) turn
``L`` into probabilistic labels; :func:`lf_summary` and the agreement statistics say how good each
source is; :func:`natural_labels` labels events from later outcomes; :func:`find_label_issues`,
:func:`uncertainty_sample` and :func:`self_training` clean, extend and spend labels well.
"""

from winnow.labeling.natural import natural_labels
from winnow.labeling.votes import ABSTAIN, LFFailure, VoteStore, check_label_matrix

__all__ = [
    "ABSTAIN",
    "LFFailure",
    "VoteStore",
    "check_label_matrix",
    "natural_labels",
]
