export { recordEvent, recordEvents, replayParked, listParked, outboxStats, onEventsCommitted } from './outbox.ts';
export type { DomainEvent, NewEvent, ParkedEvent, OutboxStats } from './outbox.ts';
export { EventRegistry, OutboxDispatcher, defaultBackoff } from './dispatcher.ts';
export type { EventHandler } from './dispatcher.ts';
export { listenForOutboxCommits } from './listener.ts';
