import { addIndexes, dropIndexes, missingIndexes, type IndexSpec, type Migration } from './migration.ts';

/**
 * Indexes for the billing API and analytics (docs/decisions/0006-billing-queries-and-indexes.md).
 * The plugin's own columns and indexes are left exactly as they are.
 */
export const BILLING_INDEXES: IndexSpec[] = [
  // Owner lists, newest first: WHERE user_id = ? ORDER BY created_at, id.
  { table: (t) => t.slbp.transactions, name: 'slbp_sc_user_created', columns: ['user_id', 'created_at'] },
  // Admin lists ordered by date without a filter.
  { table: (t) => t.slbp.transactions, name: 'slbp_sc_created', columns: ['created_at'] },
  // Revenue analytics: a range scan per status that covers every column the aggregate reads.
  { table: (t) => t.slbp.transactions, name: 'slbp_sc_status_created', columns: ['status', 'created_at', 'currency', 'amount'] },
  { table: (t) => t.slbp.subscriptions, name: 'slbp_sc_user_created', columns: ['user_id', 'created_at'] },
  // MRR: active subscriptions with the columns the sum reads.
  { table: (t) => t.slbp.subscriptions, name: 'slbp_sc_status_cycle', columns: ['status', 'currency', 'billing_cycle', 'amount'] },
  // Churn: ended subscriptions by the time of their last change.
  { table: (t) => t.slbp.subscriptions, name: 'slbp_sc_status_updated', columns: ['status', 'updated_at'] },
  { table: (t) => t.slbp.notifications, name: 'slbp_sc_user_read_created', columns: ['user_id', 'is_read', 'created_at'] },
];

export const billingIndexes: Migration = {
  id: '0001-billing-indexes',
  description: 'indexes for billing lists and analytics',
  steps: BILLING_INDEXES.length,
  up: (q, tables, onStep) => addIndexes(q, tables, BILLING_INDEXES, onStep),
  down: (q, tables) => dropIndexes(q, tables, BILLING_INDEXES),
  pending: (q, tables) => missingIndexes(q, tables, BILLING_INDEXES),
};
