// Errors, with the names of ledger/errors.py so that the golden vectors can name them.

export class SaksiError extends Error {
  constructor(message, extra = {}) {
    super(message);
    this.name = 'SaksiError';
    this.kind = 'error';
    Object.assign(this, extra);
  }
}

export class InvalidInput extends SaksiError {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'InvalidInput';
    this.kind = 'invalid-input';
  }
}

export class InvalidField extends InvalidInput {
  constructor(field, rule) {
    super(`${field}: ${rule}`, { field, rule });
    this.name = 'InvalidField';
    this.kind = 'invalid-field';
  }
}

export class TooLarge extends InvalidInput {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'TooLarge';
    this.kind = 'too-large';
  }
}

export class AuthenticationFailed extends SaksiError {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'AuthenticationFailed';
    this.kind = 'bad-signature';
  }
}

export class VerificationFailed extends SaksiError {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'VerificationFailed';
    this.kind = 'verification-failed';
  }
}

export class InclusionProofInvalid extends VerificationFailed {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'InclusionProofInvalid';
    this.kind = 'inclusion-proof-invalid';
  }
}

export class ConsistencyProofInvalid extends VerificationFailed {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'ConsistencyProofInvalid';
    this.kind = 'consistency-proof-invalid';
  }
}

export class RootMismatch extends VerificationFailed {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'RootMismatch';
    this.kind = 'root-mismatch';
  }
}

export class SignatureMismatch extends VerificationFailed {
  constructor(message, extra) {
    super(message, extra);
    this.name = 'SignatureMismatch';
    this.kind = 'signature-mismatch';
  }
}
