import path from 'node:path';
import type { CacheService } from '../cache/cache-service.ts';
import type { Database } from '../data/database.ts';
import type { DatabaseRouter } from '../data/database-router.ts';
import { BuyerRecordsRepository } from '../data/payments/buyer-records-repository.ts';
import { PersonalDataRepository } from '../data/personal-data-repository.ts';
import type { Tables } from '../data/tables.ts';
import type { UsersRepository } from '../data/users-repository.ts';
import { PersonalBuyerRecords } from '../domain/payments/buyer-records.ts';
import { PrivacyService } from '../domain/privacy-service.ts';
import { privacyRoutes } from '../http/routes/privacy.ts';
import type { Logger } from '../observability/logger.ts';
import type { FeatureParts } from './feature.ts';

export interface PrivacyDeps {
  db: Database;
  databases: DatabaseRouter;
  tables: Tables;
  cache: CacheService;
  users: UsersRepository;
  dataDir: string;
  logger: Logger;
}

/** WordPress's personal data exporter and eraser for the plugin's tables, and their routes. */
export interface Privacy extends FeatureParts {
  privacy: PrivacyService;
}

export function createPrivacy(d: PrivacyDeps): Privacy {
  const privacy = new PrivacyService(
    new PersonalDataRepository(d.tables),
    d.users,
    d.databases,
    d.db,
    d.cache,
    path.join(d.dataDir, 'exports'),
    d.logger,
    new PersonalBuyerRecords(new BuyerRecordsRepository(d.tables)),
  );
  return { privacy, routes: privacyRoutes(privacy), services: [], jobs: [], health: {} };
}
