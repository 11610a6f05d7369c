"""Stage 2, attention-based contrastive learning (ACL) on reaction mashup faces (docs/method.md).

`params` (the `acl:` block), `batches` (labeled images and mined RM anchors per step), `prior`
(the similarity prior that filters the mined pairs, and its embedding cache), `loss` (L_ACL),
`objective` (L_IAL + mu * L_ACL, the loop's callback; the BatchNorm modes; the mu = 0 control),
`simclr` (the study's generic baseline: L_IAL + mu * NT-Xent), `train` (the stage end to end)
and `quality` (how good mining is, on the demo world; the oracle's true mixtures).
"""

from rmfer.training.acl.batches import crop_transform
from rmfer.training.acl.loss import AclLoss, acl_loss
from rmfer.training.acl.objective import AclObjective
from rmfer.training.acl.params import AclParams, MiningQualityParams
from rmfer.training.acl.quality import mining_quality
from rmfer.training.acl.train import AclResult, train_acl

__all__ = [
    "AclLoss",
    "AclObjective",
    "AclParams",
    "AclResult",
    "MiningQualityParams",
    "acl_loss",
    "crop_transform",
    "mining_quality",
    "train_acl",
]
