// Verifies a token the way every other worker does (runtime tokenVerifier against auth's
// JWKS over HTTP), in a process of its own. Prints the caller as JSON, or "refused".
import { tokenVerifier } from '../../runtime/auth.ts'

const [jwksUrl, issuer, audience, token] = process.argv.slice(2)
if (!jwksUrl || !issuer || !audience || !token) {
  console.error('usage: verify-token.ts <jwks-url> <issuer> <audience> <token>')
  process.exit(2)
}
const verified = await tokenVerifier({ jwksUrl, issuer, audience })(token)
console.log(verified ? JSON.stringify(verified.caller) : 'refused')
