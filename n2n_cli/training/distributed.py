"""torchrun: DistributedDataParallel processes, one per GPU (or CPU share), and the collectives the trainer needs."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def any_rank(flag: bool, world: World, device: torch.device) -> bool:
    """True on every process when `flag` is true on any (one collective; a plain bool without torchrun), so that a
    decision to stop is taken by all processes at the same step, never leaving the others waiting."""
    if world.size <= 1:
        return flag
    t = torch.tensor(float(flag), device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def join_world(device_name: str) -> World:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1): NCCL on GPUs, gloo on CPUs."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    world = World(int(os.environ["RANK"]), size, int(os.environ.get("LOCAL_RANK", "0")))
    use_cuda = torch.cuda.is_available() and device_name in ("auto", "cuda")
    if use_cuda:
        torch.cuda.set_device(world.local_rank)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return world


def device_for(world: World, device: torch.device) -> torch.device:
    """Each process on one machine takes its own GPU."""
    if device.type == "cuda" and world.size > 1:
        return torch.device("cuda", world.local_rank)
    return device


def wrap(
    model: torch.nn.Module, device: torch.device, world: World, compile: bool
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The model as the training steps call it: in DistributedDataParallel under torchrun, compiled when asked."""
    if world.size > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    return torch.compile(model) if compile else model


def barrier(world: World) -> None:
    if world.size > 1:
        dist.barrier()


def leave_world(world: World) -> None:
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()
