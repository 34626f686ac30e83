"""REINFORCE (policy gradient) with a Categorical policy on a toy corridor.

The agent starts at cell 0 of a corridor of LENGTH cells and may step left or right; reaching the
last cell ends the episode with reward 1, and every step costs 0.05; an episode lasts at most
MAX_STEPS steps. A linear policy maps the one-hot cell to action logits. REINFORCE raises the
log-probability of each action taken in proportion to the return that followed it (minus a
running baseline):

    loss = -sum_t (G_t - b) * log pi(a_t | s_t)

Run: python examples/reinforce.py [EPISODES]
"""
import sys

import ember as torch
from ember import nn
from ember.distributions import Categorical

LENGTH, MAX_STEPS, STEP_COST = 6, 20, 0.05


def run_episode(policy):
    """One episode; returns the log-probabilities of the actions taken and the rewards."""
    cell, log_probs, rewards = 0, [], []
    for _ in range(MAX_STEPS):
        state = torch.zeros(LENGTH)
        state[cell] = 1.0
        dist = Categorical(logits=policy(state))
        action = dist.sample()
        log_probs.append(dist.log_prob(action))
        cell = max(0, cell + (1 if action.item() == 1 else -1))
        done = cell == LENGTH - 1
        rewards.append((1.0 if done else 0.0) - STEP_COST)
        if done:
            break
    return log_probs, rewards


def main(episodes=300):
    torch.manual_seed(0)
    policy = nn.Linear(LENGTH, 2)
    optimizer = torch.optim.Adam(policy.parameters(), lr=0.05)
    baseline, recent = 0.0, []
    for episode in range(1, episodes + 1):
        log_probs, rewards = run_episode(policy)
        returns, g = [], 0.0
        for r in reversed(rewards):
            g = r + g
            returns.insert(0, g)
        total = returns[0]
        baseline = 0.9 * baseline + 0.1 * total
        loss = -sum((ret - baseline) * lp for ret, lp in zip(returns, log_probs))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        recent = (recent + [total])[-50:]
        if episode % 50 == 0:
            print(f"episode {episode}: average reward {sum(recent) / len(recent):.3f}")
    best = 1.0 - STEP_COST * (LENGTH - 1)
    print(f"final average reward {sum(recent) / len(recent):.3f} (best possible {best:.3f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
