"""ember.nn.utils: gradient clipping and parameter/vector conversion."""
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import rnn  # noqa: F401  (ember.nn.utils.rnn)

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters"]
from . import parametrize, parametrizations  # noqa: E402,F401  (torch.nn.utils.parametrize / .parametrizations)
from .weight_norm import weight_norm, remove_weight_norm  # noqa: E402,F401
from .spectral_norm import spectral_norm, remove_spectral_norm  # noqa: E402,F401
from . import prune  # noqa: E402,F401  (torch.nn.utils.prune)
__all__ += ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]
