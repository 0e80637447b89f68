/**
 * The registration rules the server enforces (server/services/password-policy.ts) that need no server: checked
 * in the form so every problem shows at once, instead of one per round trip. The server still decides; what only
 * it knows (a taken name, a too-common password) arrives as its answer.
 */
export interface RegistrationProblems {
  username?: string;
  password?: string;
  confirm?: string;
}

const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
const MIN_PASSWORD_BYTES = 8;
/** bcrypt reads 72 bytes; the server refuses longer passwords rather than cut them. */
const MAX_PASSWORD_BYTES = 72;

export function registrationProblems(username: string, password: string, confirm: string): RegistrationProblems {
  const problems: RegistrationProblems = {};
  const name = username.trim().normalize("NFKC");
  if (name === "") problems.username = "Choose a username.";
  else if (!USERNAME_PATTERN.test(name))
    problems.username = "Use 3 to 32 letters (A–Z), digits, dots, dashes or underscores.";
  const bytes = new TextEncoder().encode(password.normalize("NFKC")).length;
  if (password === "") problems.password = "Choose a password.";
  else if (bytes < MIN_PASSWORD_BYTES) problems.password = `Use at least ${MIN_PASSWORD_BYTES} characters.`;
  else if (bytes > MAX_PASSWORD_BYTES)
    problems.password = `Use at most ${MAX_PASSWORD_BYTES} bytes (fewer accented or non-Latin characters).`;
  if (confirm === "") problems.confirm = "Type the password again.";
  else if (confirm !== password) problems.confirm = "The two passwords are not the same.";
  return problems;
}
