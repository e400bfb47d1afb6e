// Every page's strings at once (tests: tests/web/test_wording.py); the pages add only their own.

import * as audit from './audit.js';
import * as citizen from './citizen.js';
import * as receipt from './receipt.js';
import { addStrings } from '../i18n.js';

addStrings(citizen);
addStrings(audit);
addStrings(receipt);

export * from '../i18n.js';
