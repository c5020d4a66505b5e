// The linearizability checker's public surface.

export {
  OP_FUNCTIONS, EVENT_TYPES, formatHistoryEvent, operationToJson,
  type OpFunction, type EventType, type CompletionType, type RegisterValue, type EventValue,
  type HistoryEvent, type Operation, type OperationJson,
} from './history.js';
export { parseHistory, type ParseResult } from './parse-history.js';
export { historyFromEvents, pairEvents, validateEvent, type PairResult, type EventResult } from './pair-events.js';
export { checkHistory, type CheckOptions, type CheckResult } from './check-history.js';
export { DEFAULT_STEPS_MAX, DEADLINE_CHECK_INTERVAL_STEPS, type BudgetExhausted } from './search-budget.js';
export { DEFAULT_WINDOW_STEPS_MAX, SHRINK_ATTEMPTS_MAX } from './failing-window.js';
export { VISITED_WORDS_MAX } from './visited-states.js';
export { tornPairRead, txIdOf, txValue } from './tx-atomicity.js';
export { checkQueueHistory, QUEUE_FINDINGS_PER_KEY_MAX, type QueueOp, type QueueOpType, type QueueVerdict } from './queue-order.js';
