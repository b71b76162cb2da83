"""Label models: turn the votes of many sources into probabilistic labels.

:class:`MajorityVote` (optionally weighted), :class:`DawidSkene` (EM over confusion matrices)
and :class:`LabelModel` (Snorkel-style, fit from the sources' agreement statistics) share one
contract: ``fit(L)``, ``predict_proba(L)``, ``predict(L, tie_break=...)``, and the learned
``class_balance_``, ``confusions_`` and ``accuracies_``. :func:`select_label_model` picks the
best of several on dev data.
"""

from winnow.labeling.models._base import BaseLabelModel, LabelModelWarning
from winnow.labeling.models.dawid_skene import DawidSkene
from winnow.labeling.models.label_model import LabelModel
from winnow.labeling.models.majority import MajorityVote
from winnow.labeling.models.selection import ModelSelection, default_candidates, select_label_model

__all__ = [
    "BaseLabelModel",
    "DawidSkene",
    "LabelModel",
    "LabelModelWarning",
    "MajorityVote",
    "ModelSelection",
    "default_candidates",
    "select_label_model",
]
