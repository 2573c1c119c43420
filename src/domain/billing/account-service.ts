import type { CacheService } from '../../cache/cache-service.ts';
import { cacheTags } from '../../cache/keys.ts';
import type { NotificationRow, NotificationsRepository } from '../../data/notifications-repository.ts';
import type { EnrolledCourseRow, EnrolledCoursesReadModel } from '../../data/read-models/enrolled-courses-read-model.ts';
import { userKey, type DatabaseRouter } from '../../data/database-router.ts';
import { SidecarError } from '../../errors.ts';
import type { BillingReads } from './billing-reads.ts';
import type { BillingService, Page } from './billing-service.ts';
import type { Viewer } from './viewer.ts';

export const notificationNotFound = () => new SidecarError('slbp_notification_not_found', 'Notification not found.', 404);

/** The signed-in user's own things: dashboard, enrolled courses, notifications. */
export class AccountService {
  constructor(
    private readonly reads: BillingReads,
    private readonly billing: BillingService,
    private readonly courses: EnrolledCoursesReadModel,
    private readonly notifications: NotificationsRepository,
    private readonly db: DatabaseRouter,
    private readonly cache: CacheService,
  ) {}

  private self(v: Viewer): number {
    if (v.userId === null) throw new SidecarError('rest_forbidden', 'Sorry, you are not allowed to do that.', 403);
    return v.userId;
  }

  async enrolledCourses(v: Viewer, requested?: number): Promise<EnrolledCourseRow[]> {
    const userId = this.reads.userScope(v, requested ?? this.self(v))!;
    return this.reads.scoped(v, 'courses', userId, {}, (caller) =>
      this.courses.forUser(this.db.forRead(caller), userId, this.db.forRead(caller, userId)),
    );
  }

  async listNotifications(
    v: Viewer,
    f: { isRead?: boolean; type?: string; limit: number; offset: number },
  ): Promise<Page<NotificationRow>> {
    const userId = this.self(v);
    const filter = { userId, isRead: f.isRead, type: f.type };
    return this.reads.scoped(v, 'notifications', userId, { filter, limit: f.limit, offset: f.offset }, async (caller) => {
      const q = this.db.forRead(caller);
      const [rows, total] = await Promise.all([this.notifications.list(q, filter, f.limit, f.offset), this.notifications.count(q, filter)]);
      return { rows, total };
    });
  }

  /** Marks one of the caller's notifications read (idempotent); someone else's id is a 404. */
  async markRead(v: Viewer, id: number): Promise<NotificationRow> {
    const userId = this.self(v);
    const row = await this.notifications.findById(this.db.primary, id);
    if (!row || Number(row.user_id) !== userId) throw notificationNotFound();
    if (!row.is_read) {
      await this.notifications.markRead(this.db.primary, id, userId);
      await Promise.all([this.db.noteWrite(userKey(userId)), this.cache.invalidate({ tags: [cacheTags.user(userId)] })]);
    }
    return { ...row, is_read: 1 };
  }

  async dashboard(v: Viewer) {
    const userId = this.self(v);
    const own: Viewer = { userId, admin: false };
    const [subs, recent, courses, unread, latest] = await Promise.all([
      this.billing.listSubscriptions(own, {
        statuses: ['active', 'on_trial', 'past_due'],
        window: { orderby: 'created_at', order: 'desc', limit: 100, offset: 0 },
      }),
      this.billing.listTransactions(own, { window: { orderby: 'created_at', order: 'desc', limit: 5, offset: 0 } }),
      this.enrolledCourses(own),
      this.listNotifications(own, { isRead: false, limit: 5, offset: 0 }),
      this.billing.summary(own, userId),
    ]);
    return { userId, subscriptions: subs, recent, courses, unread, summary: latest };
  }
}
