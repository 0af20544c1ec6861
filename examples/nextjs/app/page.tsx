// The home page: says what the site is. isrsim never requests it.
export default function Home() {
  return (
    <main>
      <h1>isrsim reference site</h1>
      <p>
        Pages are at /ROUTE/PAGE, read from isrsim&apos;s content server; see examples/README.md
        in the isrsim repository.
      </p>
    </main>
  );
}
