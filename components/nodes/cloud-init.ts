// cloud-init user data for a Multipass VM: authorise kubelab's SSH key for the configured user.
import YAML from "yaml";

export function cloudInit(user: string, publicKey: string): string {
  const key = publicKey.trim();
  if (!/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) \S+/.test(key)) {
    throw new Error(
      `kubelab:ssh.publicKeyPath does not hold an OpenSSH public key (it should start with ssh-ed25519 or ssh-rsa); ` +
        `derive one with ssh-keygen -y -f PRIVATE_KEY > PUBLIC_KEY`,
    );
  }
  // The cloud images' default user is `ubuntu`; any other user is created with passwordless sudo,
  // which every kubelab step needs.
  const userData =
    user === "ubuntu"
      ? { ssh_authorized_keys: [key] }
      : {
          users: [
            "default",
            { name: user, sudo: "ALL=(ALL) NOPASSWD:ALL", shell: "/bin/bash", ssh_authorized_keys: [key] },
          ],
        };
  return `#cloud-config\n${YAML.stringify(userData)}`;
}
