/** What the account processes (sign-up, sign-in, password changes) work with; the API builds one per request. */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PasswordHasher } from '../auth/passwords';
import type { MessageStarter } from './links';
import type { AccountSettings } from './settings';

export interface AccountContext {
  em: EntityManager;
  hasher: PasswordHasher;
  settings: AccountSettings;
  messages: MessageStarter;
}
