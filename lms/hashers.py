"""Password hashing: Argon2id with the parameters of OWASP's Password Storage Cheat Sheet.

Django's own Argon2 hasher asks for 100 MiB and 8 lanes (about 150 ms of CPU here) and its default
PBKDF2-SHA256 for 1,000,000 iterations (about 230 ms of CPU on one core of the bench machine; 0.6 to
1.0 s under load, issue 18): a Monday morning of 5 sign-ins a second then needs more than two cores
for hashing alone. OWASP's first Argon2id configuration, "a minimum configuration of 19 MiB of
memory, an iteration count of 2, and 1 degree of parallelism", costs about 20 ms of CPU and, being
memory-hard, costs an attacker with GPUs more per guess than PBKDF2 does
(https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html, "Argon2id").

The hashes are Django's standard ``argon2$argon2id$v=19$m=19456,t=2,p=1$...`` strings (the
parameters travel in each hash), so Django's Argon2 hasher reads them and this one reads hashes made
by it. Older hashes (PBKDF2) still verify through the hashers listed after this one in
``PASSWORD_HASHERS`` and are re-hashed with these parameters at the person's next sign-in.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id, m = 19,456 KiB (19 MiB), t = 2 passes, p = 1 lane (OWASP)."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
