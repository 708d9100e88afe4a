// A load through the public HTTP API: popugs create tasks, complete what is theirs, a manager
// reshuffles now and then. Seeded, so a failing run can be repeated. Every call is retried
// while a worker or the broker is down; what HTTP confirmed is remembered for the checker.
import { api, login } from '../../workers/runtime/testing/system.ts'
import { seededRandom, sleep, waitFor } from '../../workers/runtime/testing/helpers.ts'

/** A small seeded generator: the same seed gives the same choices. */
export const seeded = seededRandom

export type Member = { id: string; email: string; token: string }
export type Crew = { manager: Member; popugs: Member[] }

type Urls = { auth: string; tasks: string }

/** Creates a manager and some popugs in auth and logs them in. */
export async function hireCrew(urls: Urls, adminToken: string, popugs: number, tag: string): Promise<Crew> {
  const hire = async (name: string, role: 'manager' | 'popug'): Promise<Member> => {
    const email = `${name}-${tag}@ates.test`
    const beak = `${name}-beak-${tag}`
    const created = await api<{ account_id: string }>(`${urls.auth}/api/accounts`, adminToken, { body: { name, email, role, beak } })
    if (created.status !== 201) throw new Error(`cannot create ${email}: ${created.status} ${JSON.stringify(created.body)}`)
    return { id: created.body.account_id, email, token: await login(urls.auth, email, beak) }
  }
  const manager = await hire('mila', 'manager')
  const members: Member[] = []
  for (let i = 0; i < popugs; i++) members.push(await hire(`popug${i}`, 'popug'))
  return { manager, popugs: members }
}

/** Statuses worth another try: the worker is down, restarting or not ready yet. */
const TRANSIENT = new Set([500, 502, 503, 504])

export type Call = { status: number; body: unknown }

/** A call retried through connection errors and 5xx (and `alsoRetry`), for up to a minute. */
export async function persist(call: () => Promise<Call>, alsoRetry: readonly number[] = [], onRetry?: () => void): Promise<Call> {
  const deadline = Date.now() + 60_000
  let wait = 50
  for (;;) {
    let answer: Call | undefined
    try {
      answer = await call()
    } catch {
      answer = undefined
    }
    if (answer && !TRANSIENT.has(answer.status) && !alsoRetry.includes(answer.status)) return answer
    if (Date.now() > deadline) throw new Error(`gave up after a minute: last answer ${JSON.stringify(answer)}`)
    onRetry?.()
    await new Promise((resolve) => setTimeout(resolve, wait))
    wait = Math.min(wait * 2, 1000)
  }
}

export type LoadOptions = {
  tasks: number
  /** Concurrent HTTP clients. */
  clients: number
  seed: number
  /** A manager reshuffles every open task after this many creations. */
  reassignEvery: number
  /** Chance that a creation is followed by a completion of some popug's open task. */
  completeShare: number
  /** At most this many tasks a second, all clients together: a load that lasts through a scenario's faults. */
  perSecond?: number
}

export class Load {
  readonly created: string[] = []
  readonly completed: string[] = []
  reassigns = 0
  retries = 0
  private issued = 0
  private started = 0
  private readonly random: () => number

  constructor(
    private readonly urls: Urls,
    private readonly crew: Crew,
    private readonly options: LoadOptions,
  ) {
    this.random = seeded(options.seed)
  }

  get progress(): number {
    return this.created.length
  }

  get acknowledged() {
    return { created: this.created, completed: this.completed }
  }

  /**
   * Runs the load; once it is `at` tasks in, `fault` runs while the load goes on. Resolves when
   * both are done, with what HTTP confirmed added to `acknowledged` for the checker.
   */
  async runThrough(at: number, fault: () => Promise<void>, acknowledged: { created: string[]; completed: string[] }): Promise<this> {
    let failure: unknown
    const loading = this.run().catch((error: unknown) => {
      failure = error
    })
    await waitFor(() => {
      if (failure) throw failure
      return this.progress >= at
    }, `${at} tasks`, 120_000)
    await fault()
    await loading
    if (failure) throw failure
    acknowledged.created.push(...this.created)
    acknowledged.completed.push(...this.completed)
    return this
  }

  async run(): Promise<void> {
    this.started = Date.now()
    await Promise.all(Array.from({ length: this.options.clients }, (_, n) => this.client(n)))
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)]!
  }

  private call(call: () => Promise<Call>, alsoRetry: readonly number[] = []): Promise<Call> {
    return persist(call, alsoRetry, () => (this.retries += 1))
  }

  private async client(n: number): Promise<void> {
    const { tasks } = this.urls
    while (this.issued < this.options.tasks) {
      const index = (this.issued += 1)
      // The index-th task is due index / perSecond seconds after the start.
      if (this.options.perSecond) await sleep(this.started + (index / this.options.perSecond) * 1000 - Date.now())
      const author = this.pick(this.crew.popugs)
      const title = `Task ${index} by client ${n}${index % 7 === 0 ? ` [UBERPOP-${index}]` : ''}`
      // 409 here means tasks has not heard of any popug yet.
      const made = await this.call(() => api(`${tasks}/api/tasks`, author.token, { body: { title, description: `load seed ${this.options.seed}` } }), [409])
      if (made.status !== 201) throw new Error(`creating a task answered ${made.status}: ${JSON.stringify(made.body)}`)
      this.created.push((made.body as { task_id: string }).task_id)
      if (index % this.options.reassignEvery === 0) {
        // A tasks instance that has just rebuilt its database answers 503 catching_up until it has read the popugs again (retried as any 503), never 409.
        const moved = await this.call(() => api(`${tasks}/api/tasks/reassign`, this.crew.manager.token, { body: {} }))
        if (moved.status !== 200) throw new Error(`reassigning answered ${moved.status}`)
        this.reassigns += 1
      }
      if (this.random() < this.options.completeShare) await this.completeOne()
    }
  }

  private async completeOne(): Promise<void> {
    const popug = this.pick(this.crew.popugs)
    const mine = await this.call(() => api(`${this.urls.tasks}/api/tasks?assignee=me&status=open&limit=5`, popug.token))
    const open = (mine.body as { tasks: Array<{ task_id: string }> }).tasks
    if (open.length === 0) return
    const task = this.pick(open).task_id
    const done = await this.call(() => api(`${this.urls.tasks}/api/tasks/${task}/complete`, popug.token, { body: {} }))
    // 403/409: a reshuffle or another client got there first; the task is someone else's now.
    if (done.status === 200) this.completed.push(task)
    else if (done.status !== 403 && done.status !== 409) throw new Error(`completing answered ${done.status}`)
  }
}
