"""``ember.distributed``: PyTorch's ``torch.distributed`` on MPI (mpi4py), for data-parallel training.

Start N processes with ``python -m ember.distributed.run --nproc-per-node N script.py`` (or
``ember run --nproc N script.py``, or any MPI launcher: ``mpiexec -n N python script.py``); in the
script, ``init_process_group("mpi")``, then collectives on Tensors and
``ember.nn.parallel.DistributedDataParallel``. Needs ``pip install 'ember[distributed]'`` (mpi4py
and the mpich wheel); importing this package does not import mpi4py, ``init_process_group`` does.

Python objects move with ``all_gather_object``, ``broadcast_object_list``, ... (pickled, as PyTorch's:
only between the trusted ranks of your own job); ``all_to_all_single``/``all_to_all`` exchange a piece
with every rank; ``batch_isend_irecv`` starts a list of ``P2POp`` sends and receives together.

Example:
    >>> import ember, ember.distributed as dist
    >>> dist.init_process_group("mpi")
    >>> t = ember.tensor([float(dist.get_rank())])
    >>> dist.all_reduce(t)                 # on 2 ranks: tensor([1.])
    >>> dist.destroy_process_group()
"""
from .collectives import (all_gather, all_gather_into_tensor, all_reduce, barrier, broadcast,  # noqa: F401
                          gather, irecv, isend, monitored_barrier, recv, reduce, reduce_scatter_tensor, scatter,
                          send)
from .collectives import reduce_scatter  # noqa: F401
from .process_group import (GroupMember, ProcessGroup, default_pg_timeout, destroy_process_group,  # noqa: F401
                            get_backend, get_global_rank, get_group_rank, get_process_group_ranks, get_rank,
                            get_world_size, init_process_group, is_available, is_gloo_available,
                            is_initialized, is_mpi_available, is_nccl_available, is_torchelastic_launched,
                            new_group)
from .reduce_op import ReduceOp  # noqa: F401
from .object_collectives import (all_gather_object, broadcast_object_list, gather_object,  # noqa: F401
                                 recv_object_list, scatter_object_list, send_object_list)
from .all_to_all import all_to_all, all_to_all_single  # noqa: F401
from .p2p_batch import P2POp, batch_isend_irecv  # noqa: F401
from .process_group import get_default_backend_for_device, get_node_local_rank, is_backend_available  # noqa: F401
from .work import Work  # noqa: F401

group = GroupMember   # torch.distributed.group.WORLD


class Backend:
    """Backend names, as PyTorch's ``dist.Backend`` (ember runs every CPU backend on MPI)."""
    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"
    UNDEFINED = "undefined"
