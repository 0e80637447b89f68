import bcrypt from "bcrypt";
import type { RegistrationMode } from "../config.js";
import { AppError, ErrorCode, badInput, conflict, forbidden, unauthenticated } from "../errors.js";
import type { AccountRecord, AccountStore } from "../ports/account-store.js";
import type { RateLimitStore } from "../ports/rate-limit-store.js";
import type { UserDirectory } from "../ports/user-directory.js";
import {
  type AbuseLimits,
  LOGIN_WINDOW_MS,
  REGISTRATION_WINDOW_MS,
  type RateRule,
  consumeAll,
} from "./abuse-limits.js";
import { concurrencyLimit } from "./concurrency-limit.js";
import { type CredentialService, type IssuedCredential, type Viewer, accountDisabled } from "./credential.service.js";
import { hashSecret, newId, newSecret } from "./credentials.js";
import type { InviteClaim, InviteService } from "./invite.service.js";
import {
  assertAcceptablePassword,
  couldBeValidPassword,
  normalizePassword,
  normalizeUsername,
} from "./password-policy.js";

/** What the account service works with besides its own store. */
export interface AccountServicePorts {
  users: UserDirectory;
  invites: InviteService;
  /** Issues the session a registration or login ends in. */
  credentials: CredentialService;
}

export interface AccountServiceOptions {
  /** Who may register; names in `adminUsernames` always may. */
  registration: RegistrationMode;
  bcryptCost: number;
  abuseLimits: AbuseLimits;
  now?: () => number;
}

/** Where a request comes from, for abuse limits (SEC-3). */
export interface RequestOrigin {
  /** The client's IP: the socket's, or the one the trusted proxies report. */
  clientIp: string;
}

const invalidLogin = () => new AppError(ErrorCode.UNAUTHENTICATED, "Invalid username or password.");

/**
 * Accounts and their passwords: registration (open, by invite or closed), login, password checks, abuse limits on
 * both (SEC-2, SEC-3). Both end in a session from CredentialService, which owns sessions and API keys from then on.
 */
export class AccountService {
  private readonly now: () => number;
  /** Half of libuv's default 4 worker threads: logins queue rather than stall other requests' disk I/O. */
  private readonly bcryptSlot = concurrencyLimit(2);

  private constructor(
    private readonly store: AccountStore,
    private readonly limits: RateLimitStore,
    private readonly ports: AccountServicePorts,
    private readonly options: AccountServiceOptions,
    /** A real hash of a random password: unknown users are checked against it so they cost the same time (SEC-2). */
    private readonly dummyHash: string,
  ) {
    this.now = options.now ?? Date.now;
  }

  static async create(
    store: AccountStore,
    limits: RateLimitStore,
    ports: AccountServicePorts,
    options: AccountServiceOptions,
  ): Promise<AccountService> {
    const dummyHash = await bcrypt.hash(newSecret(), options.bcryptCost);
    return new AccountService(store, limits, ports, options, dummyHash);
  }

  /**
   * Creates the account and logs it in. Of two concurrent registrations of one name, one gets CONFLICT; of two
   * with one invite code, one gets FORBIDDEN. REGISTRATION decides whether an invite is needed; admins never
   * need one, so a closed instance can be bootstrapped.
   */
  async register(
    rawUsername: string,
    rawPassword: string,
    origin: RequestOrigin,
    inviteCode: string | null = null,
  ): Promise<IssuedCredential> {
    const username = normalizeUsername(rawUsername);
    const password = normalizePassword(rawPassword);
    assertAcceptablePassword(password);
    const mode = this.ports.credentials.isAdminName(username.key) ? "open" : this.options.registration;
    if (mode === "closed") throw forbidden("Registration is closed on this server.");
    if (mode === "invite" && !inviteCode) throw forbidden("Registration on this server needs an invite code.");
    const limits = this.options.abuseLimits;
    // Two counters: every attempt (never given back: probing for taken names costs), and accounts created (a
    // failed attempt gives its slot back, so trying a few taken names does not use up the hour's registrations).
    const attempts = `register-attempt-ip:${origin.clientIp}`;
    const accounts = `register-ip:${origin.clientIp}`;
    await this.consume(
      [[attempts, { limit: limits.registrationAttemptsPerIp, windowMs: REGISTRATION_WINDOW_MS }]],
      (wait) => `Too many sign-up attempts from your network in the last hour. You can try again in ${wait}.`,
    );
    await this.consume(
      [[accounts, { limit: limits.registrationsPerIp, windowMs: REGISTRATION_WINDOW_MS }]],
      (wait) =>
        `New accounts from one network are limited to ${limits.registrationsPerIp} per hour, and that many ` +
        `have been created from yours in the last hour. You can create another in ${wait}.`,
    );
    let claim: InviteClaim | null = null;
    let created = false;
    try {
      if ((await this.store.findAccount(username.key)) !== null) throw usernameTaken();
      if (mode === "invite") {
        claim = await this.ports.invites.claim(inviteCode ?? "", username.key);
        if (!claim) throw forbidden("That invite code is not valid: it is unknown, used, revoked or expired.");
      }
      const userId = newId();
      const createdAt = this.now();
      created = await this.store.createAccount({
        userId,
        username: username.display,
        usernameKey: username.key,
        passwordHash: await this.bcryptSlot(() => bcrypt.hash(password, this.options.bcryptCost)),
        createdAt,
      });
      if (!created) throw usernameTaken();
      await claim?.confirm(username.display);
      await this.ports.users.saveProfile({
        userId,
        username: username.display,
        usernameKey: username.key,
        createdAt,
        lastSeenAt: createdAt,
        disabled: false,
        deleting: false,
      });
      return await this.ports.credentials.startSession(userId, username.display);
    } catch (error) {
      if (!created) {
        await claim?.release();
        await this.limits.refund(accounts).catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * Checks the password and mints a new session credential. Unknown users, malformed names and wrong passwords
   * all take one bcrypt comparison and give the same error (SEC-2).
   */
  async login(rawUsername: string, rawPassword: string, origin: RequestOrigin): Promise<IssuedCredential> {
    if (rawUsername === "" || rawPassword === "") throw badInput("Username and password are required.");
    const password = normalizePassword(rawPassword);
    let usernameKey: string | null = null;
    try {
      usernameKey = normalizeUsername(rawUsername).key;
    } catch (error) {
      if (!(error instanceof AppError && error.code === ErrorCode.BAD_USER_INPUT)) throw error;
    }
    // Every attempt takes a slot first; a successful one gives its slots back, so only failures add up.
    const limits = this.options.abuseLimits;
    const buckets: [string, RateRule][] = [
      [`login-ip:${origin.clientIp}`, { limit: limits.loginFailuresPerIp, windowMs: LOGIN_WINDOW_MS }],
    ];
    if (usernameKey !== null) {
      // Per username *and source*: ten wrong passwords from one address lock that address out of the account, not
      // the owner logging in from elsewhere (issue 15). Guessing from many addresses is still capped per address
      // by login-ip, across all usernames. README "Security" states the trade-off.
      // The name appears only hashed with the address: a deleted account leaves no counter that names it (the
      // counter itself expires with its window).
      buckets.push([
        `login-user-source:${hashSecret(`${usernameKey}\n${origin.clientIp}`).slice(0, 32)}`,
        { limit: limits.loginFailuresPerUsername, windowMs: LOGIN_WINDOW_MS },
      ]);
    }
    await this.consume(buckets);
    const account = usernameKey === null ? null : await this.store.findAccount(usernameKey);
    const plausible = couldBeValidPassword(password);
    const matches = await this.bcryptSlot(() =>
      bcrypt.compare(plausible ? password : "", account?.passwordHash ?? this.dummyHash),
    );
    if (!account || !plausible || !matches) throw invalidLogin();
    await Promise.all(buckets.map(([bucket]) => this.limits.refund(bucket)));
    await this.ensureProfile(account);
    if (await this.ports.users.isBlocked(account.userId)) throw accountDisabled();
    return this.ports.credentials.startSession(account.userId, account.username);
  }

  /** A bcrypt hash of a new password, after checking it against the rules of registration (SEC-1). */
  async hashNewPassword(raw: string): Promise<string> {
    const password = normalizePassword(raw);
    assertAcceptablePassword(password);
    return this.bcryptSlot(() => bcrypt.hash(password, this.options.bcryptCost));
  }

  /**
   * The viewer's account if `password` is theirs. Failures count against the same per-username limit as failed
   * logins (SEC-3), so a stolen session cannot be used to guess the password.
   */
  async checkPassword(viewer: Viewer, rawPassword: string): Promise<AccountRecord> {
    const usernameKey = normalizeUsername(viewer.username).key;
    const bucket = `login-user:${usernameKey}`;
    await this.consume([
      [bucket, { limit: this.options.abuseLimits.loginFailuresPerUsername, windowMs: LOGIN_WINDOW_MS }],
    ]);
    const account = await this.store.findAccount(usernameKey);
    if (!account || account.userId !== viewer.userId) throw unauthenticated();
    const password = normalizePassword(rawPassword);
    const matches =
      couldBeValidPassword(password) && (await this.bcryptSlot(() => bcrypt.compare(password, account.passwordHash)));
    if (!matches) throw badInput("The current password is wrong.", { field: "password" });
    await this.limits.refund(bucket);
    return account;
  }

  /** Accounts made before profiles existed get one on their next login. */
  async ensureProfile(account: AccountRecord): Promise<void> {
    if ((await this.ports.users.findProfile(account.userId)) !== null) return;
    await this.ports.users.saveProfile({
      userId: account.userId,
      username: account.username,
      usernameKey: account.usernameKey,
      createdAt: account.createdAt,
      lastSeenAt: null,
      disabled: false,
      deleting: false,
    });
  }

  /** Counts one attempt in each bucket (see consumeAll); `explain` words the refusal around the wait. */
  private consume(buckets: [bucket: string, rule: RateRule][], explain?: (wait: string) => string): Promise<void> {
    return consumeAll(this.limits, buckets, explain);
  }
}

const usernameTaken = () => conflict("That username is taken.");
