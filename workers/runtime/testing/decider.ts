// Given events, when a command, then events (or a refusal): a domain test reads as the rule it
// checks (after emmett's DeciderSpecification). The decider is pure: its state is folded from
// the given events by evolve, and decide answers the command from that state.
import assert from 'node:assert/strict'

export type Decider<Command, State, Event, Outcome = Event[]> = {
  initialState: () => State
  evolve: (state: State, event: Event) => State
  decide: (command: Command, state: State) => Outcome
}

export type Specification<Command, State, Event, Outcome> = {
  given(...events: Event[]): {
    when(command: Command): {
      /** The outcome is exactly this. */
      then(expected: Outcome): void
      /** The outcome passes a check of its own (for outcomes drawn at random). */
      thenCheck(check: (outcome: Outcome, state: State) => void): void
    }
    /** The state the events build (a projection). */
    thenState(expected: State | ((state: State) => void)): void
  }
}

export function deciderSpecification<Command, State, Event, Outcome = Event[]>(decider: Decider<Command, State, Event, Outcome>): Specification<Command, State, Event, Outcome> {
  return {
    given(...events) {
      const state = () => events.reduce(decider.evolve, decider.initialState())
      return {
        when(command) {
          return {
            then: (expected) => assert.deepEqual(decider.decide(command, state()), expected),
            thenCheck: (check) => {
              const before = state()
              check(decider.decide(command, before), before)
            },
          }
        },
        thenState: (expected) => (typeof expected === 'function' ? (expected as (state: State) => void)(state()) : assert.deepEqual(state(), expected)),
      }
    },
  }
}
