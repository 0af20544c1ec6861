// The root layout: no fonts, no stylesheets, no scripts of its own; the site runs offline.
import type { ReactNode } from 'react';

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
