"""Labels: one store for every vote, labeling functions, label models, agreement, natural labels.

Votes from labeling functions, annotators, legacy systems, models and user feedback are rows of
one :class:`VoteStore` and convert to the label matrix ``L`` (``ABSTAIN = -1``, classes
``0..k-1``). Label models (:class:`MajorityVote`, :class:`DawidSkene`, :class:`LabelModel`) turn
``L`` into probabilistic labels; :func:`lf_summary` and the agreement statistics say how good each
source is; :func:`natural_labels` labels events from later outcomes; :func:`find_label_issues`,
:func:`uncertainty_sample` and :func:`self_training` clean, extend and spend labels well.
"""

from winnow.labeling.active import (
    ActiveLearningResult,
    ActiveRound,
    active_learning_loop,
    uncertainty_sample,
    uncertainty_scores,
)
from winnow.labeling.agreement import (
    agreement_matrix,
    annotator_agreement,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
)
from winnow.labeling.analysis import class_counts, lf_summary
from winnow.labeling.lf import (
    LabelingFunction,
    apply,
    column_lf,
    labeling_function,
    load_lfs,
    lookup_lf,
    regex_lf,
    source_version,
)
from winnow.labeling.models import (
    BaseLabelModel,
    DawidSkene,
    LabelModel,
    LabelModelWarning,
    MajorityVote,
    ModelSelection,
    default_candidates,
    select_label_model,
)
from winnow.labeling.natural import natural_labels
from winnow.labeling.noise import confident_joint, find_label_issues, label_quality_scores
from winnow.labeling.self_training import SelfTrainingResult, self_training
from winnow.labeling.votes import ABSTAIN, LFFailure, VoteStore, check_label_matrix

__all__ = [
    "ABSTAIN",
    "ActiveLearningResult",
    "ActiveRound",
    "BaseLabelModel",
    "DawidSkene",
    "LFFailure",
    "LabelModel",
    "LabelModelWarning",
    "LabelingFunction",
    "MajorityVote",
    "ModelSelection",
    "SelfTrainingResult",
    "VoteStore",
    "active_learning_loop",
    "agreement_matrix",
    "annotator_agreement",
    "apply",
    "check_label_matrix",
    "class_counts",
    "cohen_kappa",
    "column_lf",
    "confident_joint",
    "default_candidates",
    "find_label_issues",
    "fleiss_kappa",
    "krippendorff_alpha",
    "label_quality_scores",
    "labeling_function",
    "lf_summary",
    "load_lfs",
    "lookup_lf",
    "natural_labels",
    "regex_lf",
    "select_label_model",
    "self_training",
    "source_version",
    "uncertainty_sample",
    "uncertainty_scores",
]
