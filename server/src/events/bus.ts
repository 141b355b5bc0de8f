// Owns the event bus: each application builds its own (buildApp puts it in the features'
// deps), so nothing is process-wide and two apps in one test process never hear each other.
// Listeners run one after another, in the order they subscribed, inside the publisher's tenant
// transaction; a listener that throws aborts the publish, and with it the whole write.
import type { Tx } from '../db/tenant.ts';
import type { DomainEventName, DomainEvents } from './domain-events.ts';

export type DomainEventListener<N extends DomainEventName> = (
  tx: Tx,
  event: DomainEvents[N],
) => Promise<void>;

export type EventBus = {
  /** Subscribes for the life of the app (there is no unsubscribe: a test builds its own app). */
  on<N extends DomainEventName>(name: N, listener: DomainEventListener<N>): void;
  /** Runs every listener of `name` in `tx`, in subscription order; rejects with the first failure. */
  publish<N extends DomainEventName>(tx: Tx, name: N, event: DomainEvents[N]): Promise<void>;
};

/** What a service needs: to publish, never to subscribe. */
export type EventPublisher = Pick<EventBus, 'publish'>;

type Listeners = { [N in DomainEventName]?: Array<DomainEventListener<N>> };

export function createEventBus(): EventBus {
  const listeners: Listeners = {};
  return {
    on<N extends DomainEventName>(name: N, listener: DomainEventListener<N>) {
      const list: Array<DomainEventListener<N>> = listeners[name] ?? [];
      list.push(listener);
      listeners[name] = list as Listeners[N];
    },
    async publish<N extends DomainEventName>(tx: Tx, name: N, event: DomainEvents[N]) {
      for (const listener of listeners[name] ?? []) await listener(tx, event);
    },
  };
}
