// `make build`: the workers compiled into .build/, as `make up` and the image run them.
import { buildWorkers } from './lib/build.ts'

try {
  await buildWorkers()
} catch (error) {
  console.error((error as Error).message)
  process.exit(1)
}
