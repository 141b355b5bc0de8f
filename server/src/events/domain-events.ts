// Owns the list of domain events: facts one feature announces so that others can follow them
// without importing its services. Each event is published inside the tenant transaction that
// made the change, and its listeners run in that same transaction (see bus.ts), so the change
// and everything that follows it commit or roll back together. docs/architecture.md lists who
// publishes and who listens.
import type { Quadrant } from '@sertantai/core';

/** Why a control was (re)classified; stored in quadrant_classifications.reason. */
export type ClassificationReason =
  | 'touch'
  | 'time_elapsed'
  | 'network_change'
  | 'provider_change'
  | 'created'
  | 'manual';

export type DomainEvents = {
  /** Controls whose touch, distance or quadrant changed (a touch lists its control even without a move). Never empty. */
  'controls.reclassified': { controlIds: string[]; reason: ClassificationReason; now: Date };
  /** One organisation's time sweep finished: the periodic round, or the re-sweep after a threshold change. */
  'organization.swept': { moved: string[]; now: Date };
  /** A verification strategy was edited (`before` and `after` differ in at least the fields given). */
  'strategy.changed': { quadrant: Quadrant; before: StrategyFacts; after: StrategyFacts; now: Date };
  /** An interaction (a touch) was recorded on a control, after its reclassification. */
  'interaction.recorded': {
    controlId: string;
    interactionId: string;
    interactionType: string;
    issuesFound: boolean;
    occurredAt: Date;
    now: Date;
  };
  /** Traces (evidence: incidents, work orders…) of these controls were added, changed or removed. */
  'traces.changed': { controlIds: string[]; now: Date };
};

/** What a strategy event says about the strategy on either side of the edit. */
export type StrategyFacts = {
  method: string;
  frequency_days: number;
  notification_days_before: number;
  escalation_enabled: boolean;
};

export type DomainEventName = keyof DomainEvents;
